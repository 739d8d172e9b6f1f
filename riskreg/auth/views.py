"""/login (password, directory), the second-factor step, OpenID Connect sign-in, and /logout."""

from __future__ import annotations

import functools
import time
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from authlib.common.errors import AuthlibBaseError
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from joserfc.errors import JoseError

from riskreg import i18n
from riskreg.auth import external, ldap, oidc, services, twofactor
from riskreg.auth.forms import LoginForm, SecondFactorForm
from riskreg.auth.models import SignInSource, User
from riskreg.extensions import db, limiter, login_manager
from riskreg.i18n import gettext as _
from riskreg.i18n import ngettext

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
# Flask-Login flashes its message into the session (a str, never a lazy string): looked up here.
login_manager.localize_callback = _
MARKED = (_l("Please sign in to continue."),)  # for the catalogue's extraction
login_manager.login_message_category = "info"


# Every request reads its user: one statement built once (Session.get builds its own each time, a
# third of the read), run with the id. The request's session is new, so no identity map is skipped.
@functools.cache
def _user_by_id() -> sa.Select:
    return sa.select(User).where(User.id == sa.bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie holds "<id>:<session token>"; a rotated token signs old cookies out."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.execute(_user_by_id(), {"user_id": int(raw_id)}).scalar()
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def safe_next(target: str | None) -> str:
    if not target or urlsplit(target).netloc or urlsplit(target).scheme or not target.startswith("/"):
        return url_for("index")
    if target.startswith("//") or "\\" in target:
        return url_for("index")
    return target


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Sign in; one message for every failure so accounts cannot be enumerated."""
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # remote_addr is the client's own address behind RISKREG_PROXY_COUNT proxies (ProxyFix)
        outcome = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        db.session.commit()  # the failure count, or the sign-in time
        if outcome.user is not None:
            return after_first_factor(outcome.user, safe_next(form.next.data))
        if outcome.refusal is not None:
            return refused(SignInSource.LDAP, outcome.refusal, 403)
        if outcome.problem:
            form.password.errors.append(outcome.problem)
            return login_page(form), 503
        form.password.errors.append(_("Invalid email or password."))
        if outcome.wait_seconds:
            form.password.errors.append(
                _("Too many attempts: try again in %(wait)s.", wait=wait_words(outcome.wait_seconds))
            )
            page = login_page(form)
            return page, 429, {"Retry-After": str(outcome.wait_seconds)}
    return login_page(form)


def login_page(form: LoginForm) -> str:
    if ldap.enabled():
        form.email.label.text = _("Email or user name")
    return render_template(
        "auth/login.html",
        form=form,
        oidc_name=oidc.provider_name() if oidc.enabled() else None,
    )


def oidc_start():
    """Off to the provider: Authlib adds state, nonce and the PKCE challenge, kept in the session."""
    if not oidc.enabled():
        abort(404)
    session["oidc_next"] = safe_next(request.args.get("next"))
    return oidc.client().authorize_redirect(url_for("auth.oidc_callback", _external=True))


def refused(source: SignInSource, refusal: external.SignInRefused, status: int):
    """Nothing of the attempt is kept but its audit event; the person reads why and whom to ask."""
    db.session.rollback()
    external.record_refusal(source, refusal)
    db.session.commit()
    current_app.logger.warning("%s sign-in refused: %s %s", source.value, refusal.reason, refusal.detail)
    page = render_template("auth/sign_in_refused.html", message=refusal.message, help=sign_in_help())
    return page, status


DEFAULT_SIGN_IN_HELP = "Ask your riskreg administrator to give your account access."


def sign_in_help() -> str:
    """RISKREG_SIGN_IN_HELP as the company wrote it; the default one in the reader's language."""
    configured = current_app.config["SIGN_IN_HELP"]
    if configured == DEFAULT_SIGN_IN_HELP:
        return _("Ask your riskreg administrator to give your account access.")
    return configured


def oidc_callback():
    """Back from the provider: the code for tokens, the ID token checked (signature, issuer,
    audience, expiry, nonce), then the account created or updated from its claims."""
    if not oidc.enabled():
        abort(404)
    try:
        token = oidc.client().authorize_access_token(claims_options=oidc.claims_options())
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise external.SignInRefused("no_id_token", _("The sign-in service sent no identity."))
        user = external.sign_in(
            SignInSource.OIDC,
            f"{claims['iss']} {claims['sub']}",
            oidc.email_of(claims),
            claims.get("name"),
            oidc.groups_of(claims),
            oidc.grants_of(),
        )
    except external.SignInRefused as refusal:
        return refused(
            SignInSource.OIDC, refusal, 403 if refusal.reason in ("no_mapping", "inactive") else 400
        )
    except (AuthlibBaseError, JoseError) as error:
        detail = f"{type(error).__name__}: {error}"
        message = _("The sign-in could not be completed safely, so it was refused. Please try again.")
        return refused(
            SignInSource.OIDC, external.SignInRefused(oidc.reason_of(error), message, detail=detail), 400
        )
    except requests.RequestException as error:
        message = _("The company sign-in service cannot be reached just now. Please try again later.")
        refusal = external.SignInRefused("provider_unreachable", message, detail=str(error))
        return refused(SignInSource.OIDC, refusal, 503)
    next_url = safe_next(session.get("oidc_next"))
    start_session(user)
    session["oidc_id_token"] = token.get("id_token")  # the hint for the provider's end-session endpoint
    db.session.commit()
    return redirect(next_url)


SECOND_FACTOR_MINUTES = 5


def clear_session() -> None:
    """A fresh session (nothing of the one before is kept: no fixation) but the language chosen
    with ?lang=, which is no secret: the next page speaks it too."""
    language = session.get(i18n.SESSION_KEY)
    session.clear()
    if language:
        session[i18n.SESSION_KEY] = language


def start_session(user: User) -> None:
    """A new session for the signed-in user (nothing of the one before is kept: no fixation)."""
    clear_session()
    session.permanent = True
    login_user(user)


def after_first_factor(user: User, next_url: str):
    """The password (or directory) was right: ask for the second factor when the account has one,
    else sign in; an account that must have one and has none is sent to enrol first."""
    if user.two_factor_enabled:
        clear_session()
        session["second_factor"] = {
            "user": user.id,
            "token": user.session_token,
            "next": next_url,
            "since": int(time.time()),
        }
        return redirect(url_for("auth.second_factor"))
    start_session(user)
    if twofactor.required_for(user):
        flash(_("Set up two-factor sign-in to continue."), "info")
        return redirect(url_for("me.two_factor"))
    return redirect(next_url)


def _pending_second_factor() -> User | None:
    pending = session.get("second_factor")
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > SECOND_FACTOR_MINUTES * 60:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return user if user.two_factor_enabled else None


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def second_factor():
    """The second step of a sign-in with two factors: a TOTP code or a recovery code."""
    user = _pending_second_factor()
    if user is None:
        session.pop("second_factor", None)
        flash(_("Sign in again: the sign-in was not finished in time."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        accepted, wait = twofactor.check_second_factor(user, form.code.data, request.remote_addr)
        next_url = safe_next(session["second_factor"].get("next"))
        if accepted:
            start_session(user)  # a new session after the second factor
        db.session.commit()
        if accepted:
            return redirect(next_url)
        if wait:
            form.code.errors.append(_("Too many attempts: try again in %(wait)s.", wait=wait_words(wait)))
            page = render_template("auth/second_factor.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        form.code.errors.append(_("That code is not right."))
    return render_template("auth/second_factor.html", form=form)


# What a signed-in account that must enrol in two-factor sign-in may still reach.
ENROLMENT_ENDPOINTS = {"me.two_factor", "me.enable_two_factor", "auth.logout", "static", "health.healthz"}


def require_enrolment():
    """RISKREG_REQUIRE_2FA_FOR: until the account has a second factor, every page but enrolment
    (and signing out) sends it there."""
    if not current_app.config.get("REQUIRE_2FA_FOR") or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if not current_user.is_authenticated or current_user.two_factor_enabled:
        return None
    if twofactor.required_for(current_user):
        return redirect(url_for("me.two_factor"))
    return None


def wait_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = (seconds + 59) // 60
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


@login_required
def logout():
    """End the riskreg session; after an OpenID Connect sign-in, end the provider's too when it
    offers an end-session endpoint."""
    id_token = session.get("oidc_id_token")
    current_user.rotate_session_token()  # copies of the old cookie stop working
    db.session.commit()
    logout_user()
    clear_session()
    flash(_("You have signed out."), "info")
    if id_token and oidc.enabled():
        end_session = oidc.client().load_server_metadata().get("end_session_endpoint")
        if end_session:
            return oidc.client().logout_redirect(
                post_logout_redirect_uri=url_for("auth.login", _external=True), id_token_hint=id_token
            )
    return redirect(url_for("auth.login"))
