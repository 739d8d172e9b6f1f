"""/me, "My work": what is the signed-in person's to do now (every role lands here), and
/me/settings: their own password and the notices they want."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db, limiter
from riskreg.mail import KINDS, turned_off
from riskreg.me import services
from riskreg.me.forms import PasswordForm, notifications_form
from riskreg.me.sections import sections_for
from riskreg.modeling import today


@permission_required(Permission.VIEW)
def index():
    sections = sections_for(current_user, today())
    return render_template("me/index.html", sections=sections, today=today())


def _settings_page(password_form: PasswordForm | None = None, notices: Any = None) -> str:
    wanted = set(KINDS) - turned_off(current_user.id)
    notices = notices or notifications_form(wanted)
    fields = [(kind, getattr(notices, f"kind_{kind}")) for kind in KINDS]
    page = render_template(
        "me/settings.html",
        password_form=password_form or PasswordForm(),
        notices=notices,
        notice_fields=fields,
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
    login_user(current_user)  # this session carries the new token; every other one is signed out
    flash("Password changed. Your other sessions are signed out.", "success")
    return redirect(url_for("me.settings"))


@permission_required(Permission.VIEW)
def save_notifications():
    form = notifications_form(set())
    if not form.validate_on_submit():
        return _settings_page(notices=form)
    wanted = {kind for kind in KINDS if getattr(form, f"kind_{kind}").data}
    changes = services.set_notifications(current_user, wanted)
    db.session.commit()
    flash("Notices saved." if changes else "Nothing changed.", "success")
    return redirect(url_for("me.settings"))
