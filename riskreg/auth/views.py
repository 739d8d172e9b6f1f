"""/login and /logout."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from riskreg.auth import services, twofactor
from riskreg.auth.forms import LoginForm, SecondFactorForm
from riskreg.auth.models import User
from riskreg.extensions import db, limiter, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie holds "<id>:<session token>"; a rotated token signs old cookies out."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
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
        form.password.errors.append("Invalid email or password.")
        if outcome.wait_seconds:
            form.password.errors.append(
                f"Too many attempts: try again in {wait_words(outcome.wait_seconds)}."
            )
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(outcome.wait_seconds)}
    return render_template("auth/login.html", form=form)


SECOND_FACTOR_MINUTES = 5


def start_session(user: User) -> None:
    """A new session for the signed-in user (nothing of the one before is kept: no fixation)."""
    session.clear()
    session.permanent = True
    login_user(user)


def after_first_factor(user: User, next_url: str):
    """The password (or directory) was right: ask for the second factor when the account has one,
    else sign in; an account that must have one and has none is sent to enrol first."""
    if user.two_factor_enabled:
        session.clear()
        session["second_factor"] = {
            "user": user.id,
            "token": user.session_token,
            "next": next_url,
            "since": int(time.time()),
        }
        return redirect(url_for("auth.second_factor"))
    start_session(user)
    if twofactor.required_for(user):
        flash("Set up two-factor sign-in to continue.", "info")
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
        flash("Sign in again: the sign-in was not finished in time.", "info")
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
            form.code.errors.append(f"Too many attempts: try again in {wait_words(wait)}.")
            page = render_template("auth/second_factor.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        form.code.errors.append("That code is not right.")
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
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


@login_required
def logout():
    current_user.rotate_session_token()  # copies of the old cookie stop working
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
