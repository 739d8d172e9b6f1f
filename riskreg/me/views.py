"""/me, "My work": what is the signed-in person's to do now (every role lands here), and
/me/settings: their own password and the notices they want."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from riskreg import audit, i18n
from riskreg.auth import twofactor
from riskreg.auth.permissions import Permission, permission_required
from riskreg.auth.views import clear_session
from riskreg.extensions import db, limiter
from riskreg.i18n import gettext as _
from riskreg.mail import KINDS, turned_off
from riskreg.me import services
from riskreg.me.forms import (
    EnableTwoFactorForm,
    LanguageForm,
    PasswordForm,
    TwoFactorCodeForm,
    notifications_form,
)
from riskreg.me.sections import sections_for
from riskreg.modeling import today


@permission_required(Permission.VIEW)
def index():
    sections = sections_for(current_user, today())
    return render_template("me/index.html", sections=sections, today=today())


def _settings_page(
    password_form: PasswordForm | None = None, notices: Any = None, language_form: LanguageForm | None = None
) -> str:
    wanted = set(KINDS) - turned_off(current_user.id)
    notices = notices or notifications_form(wanted)
    fields = [(kind, getattr(notices, f"kind_{kind}")) for kind in KINDS]
    page = render_template(
        "me/settings.html",
        password_form=password_form or PasswordForm(),
        notices=notices,
        notice_fields=fields,
        language_form=language_form or LanguageForm(locale=current_user.locale or ""),
    )
    return page


@permission_required(Permission.VIEW)
def settings():
    return _settings_page()


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@permission_required(Permission.VIEW)
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _settings_page(form)
    try:
        services.change_password(current_user, form.current_password.data, form.new_password.data)
    except services.SettingsError as error:
        db.session.rollback()
        getattr(form, error.field).errors.append(str(error))
        return _settings_page(form)
    db.session.commit()
    # this session carries the new token; every other one is signed out
    login_user(current_user._get_current_object())
    flash(_("Password changed. Your other sessions are signed out."), "success")
    return redirect(url_for("me.settings"))


@permission_required(Permission.VIEW)
def save_notifications():
    form = notifications_form(set())
    if not form.validate_on_submit():
        return _settings_page(notices=form)
    wanted = {kind for kind in KINDS if getattr(form, f"kind_{kind}").data}
    changes = services.set_notifications(current_user, wanted)
    db.session.commit()
    flash(_("Notices saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("me.settings"))


@permission_required(Permission.VIEW)
def save_language():
    form = LanguageForm()
    if not form.validate_on_submit():  # a code not in the list is refused here, with the field's message
        return _settings_page(language_form=form)
    changes = services.set_language(current_user, form.locale.data)
    db.session.commit()
    session.pop(i18n.SESSION_KEY, None)  # the saved choice now beats an earlier ?lang= of this session
    flash(_("Language saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("me.settings"))


ENROLMENT_KEY = "totp_enrolment"


def _two_factor_page(form: Any = None, codes: list[str] | None = None):
    user = current_user
    context: dict[str, Any] = {
        "offered": twofactor.offered_to(user),
        "required": twofactor.required_for(user),
        "codes": codes,
        "code_form": form if user.two_factor_enabled and form is not None else TwoFactorCodeForm(),
    }
    if user.two_factor_enabled or not context["offered"]:
        context["left"] = twofactor.unused_recovery_codes(user) if user.two_factor_enabled else 0
    else:
        # The secret waits in this session (signed cookie) until a first code confirms it.
        secret = session.get(ENROLMENT_KEY) or twofactor.new_secret()
        session[ENROLMENT_KEY] = secret
        uri = twofactor.provisioning_uri(user, secret)
        context.update(secret=secret, qr=twofactor.qr_svg(uri), enable_form=form or EnableTwoFactorForm())
    return render_template("me/two_factor.html", **context)


@permission_required(Permission.VIEW)
def two_factor():
    return _two_factor_page()


def _refresh_session() -> None:
    """The session token was rotated (every other session ends); this one starts afresh."""
    user = current_user._get_current_object()
    clear_session()
    session.permanent = True
    login_user(user)


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@permission_required(Permission.VIEW)
def enable_two_factor():
    form = EnableTwoFactorForm()
    secret = session.get(ENROLMENT_KEY)
    if current_user.two_factor_enabled:
        flash(_("Two-factor sign-in is already on."), "info")
        return redirect(url_for("me.two_factor"))
    if not form.validate_on_submit() or not secret:
        return _two_factor_page(form)
    try:
        codes = twofactor.enable(current_user, secret, form.code.data)
    except twofactor.TwoFactorError as error:
        db.session.rollback()
        form.code.errors.append(str(error))
        return _two_factor_page(form)
    db.session.commit()
    _refresh_session()
    flash(_("Two-factor sign-in is on. Your other sessions are signed out."), "success")
    return _two_factor_page(codes=codes)


def _confirmed_by_code(form: TwoFactorCodeForm) -> bool:
    """A current code (or recovery code), throttled like a sign-in."""
    if not form.validate_on_submit():
        return False
    accepted, wait = twofactor.check_second_factor(current_user, form.code.data, request.remote_addr)
    db.session.commit()  # the failure count, or the step used
    if not accepted:
        form.code.errors.append(
            _("Too many attempts: try again in %(seconds)s seconds.", seconds=wait)
            if wait
            else _("That code is not right.")
        )
    return accepted


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@permission_required(Permission.VIEW)
def new_recovery_codes():
    if not current_user.two_factor_enabled:
        flash(_("Two-factor sign-in is off: there are no recovery codes to replace."), "info")
        return redirect(url_for("me.two_factor"))
    form = TwoFactorCodeForm()
    if not _confirmed_by_code(form):
        return _two_factor_page(form)
    codes = twofactor.new_recovery_codes(current_user)
    audit.record(
        "user", current_user.id, "new_recovery_codes", current_user, {"recovery_codes": [None, len(codes)]}
    )
    db.session.commit()
    flash(_("New recovery codes: the old ones no longer work."), "success")
    return _two_factor_page(codes=codes)


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@permission_required(Permission.VIEW)
def disable_two_factor():
    if not current_user.two_factor_enabled:
        return redirect(url_for("me.two_factor"))
    if twofactor.required_for(current_user):
        abort(
            400,
            _(
                "Two-factor sign-in is required for your account; an admin can reset it if you lost "
                "your device."
            ),
        )
    form = TwoFactorCodeForm()
    if not _confirmed_by_code(form):
        return _two_factor_page(form)
    twofactor.disable(current_user, current_user)
    db.session.commit()
    _refresh_session()
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("me.two_factor"))
