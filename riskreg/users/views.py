"""/users: admins create users, change roles and departments, deactivate accounts, and unlock
sign-ins slowed down by failed attempts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from riskreg import audit
from riskreg.auth import services, twofactor
from riskreg.auth.models import Role, User
from riskreg.auth.permissions import Permission, permission_required
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.forms import ActionForm, EnumSelectField, Form, IdSelectField
from riskreg.i18n import gettext as _
from riskreg.modeling import utcnow

FIELDS = ("name", "role", "department_id", "active")


class UserForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = EnumSelectField(_l("Role"), Role, choose=_l("Choose the user's role."))
    department_id = IdSelectField(_l("Department"), blank="—")
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=12, max=128)])
    confirm = PasswordField(
        _l("Confirm password"), validators=[EqualTo("password", _l("The passwords differ."))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.set_choices(
            [(d.id, d.name) for d in db.session.scalars(sa.select(Department).order_by(Department.name))]
        )

    def validate_department_id(self, field) -> None:
        if self.role.data is Role.DEPARTMENT_HEAD and field.data is None:
            raise ValidationError(_l("A department head needs a department."))


@permission_required(Permission.MANAGE_USERS)
def list():
    users = db.session.scalars(sa.select(User).order_by(User.name)).all()
    return render_template(
        "users/list.html",
        users=users,
        sign_ins=services.sign_in_records(users),
        now=utcnow(),
        unlock_form=ActionForm(),
        two_factor_required={user.id for user in users if twofactor.required_for(user)},
        two_factor_offered={user.id for user in users if twofactor.offered_to(user)},
    )


@permission_required(Permission.MANAGE_USERS)
def unlock(user_id: int):
    """Forget an account's failed sign-ins, so its owner may sign in again at once."""
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired; reload the users page and try again."))
    if services.unlock_sign_in(user, current_user):
        db.session.commit()
        flash(_("%(email)s may sign in again at once.", email=user.email), "success")
    else:
        flash(_("%(email)s has no failed sign-ins on record.", email=user.email), "info")
    return redirect(url_for("users.list"))


@permission_required(Permission.MANAGE_USERS)
def create():
    form = UserForm()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("Set a first password (at least 12 characters)."))
        else:
            department = (
                db.session.get(Department, form.department_id.data) if form.department_id.data else None
            )
            try:
                user = services.create_user(
                    email=form.email.data,
                    name=form.name.data,
                    role=form.role.data,
                    password=form.password.data,
                    department=department.name if department else None,
                    actor=current_user,
                )
            except services.UserError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("User %(email)s created.", email=user.email), "success")
                return redirect(url_for("users.list"))
    return render_template("users/form.html", form=form, user=None)


@permission_required(Permission.MANAGE_USERS)
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    form.email.data = user.email  # the email is the sign-in name; it does not change here
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data is not Role.ADMIN or not form.active.data):
            form.role.errors.append(_("You cannot remove your own admin role or deactivate yourself."))
            return render_template("users/form.html", form=form, user=user)
        before = audit.snapshot(user, FIELDS)
        user.name = form.name.data.strip()
        user.role = form.role.data
        user.department_id = form.department_id.data
        user.active = form.active.data
        changes = audit.diff(before, audit.snapshot(user, FIELDS))
        if form.password.data:
            try:
                services.check_password_policy(form.password.data)
            except services.UserError as error:
                form.password.errors.append(str(error))
                db.session.rollback()
                return render_template("users/form.html", form=form, user=user)
            user.password_hash = services.hash_password(form.password.data)
            changes["password"] = ["(hidden)", "(changed)"]
        if changes:
            user.rotate_session_token()  # role, access or password changed: sign out old sessions
            audit.record("user", user.id, "update", current_user, changes)
        db.session.commit()
        flash(_("User %(email)s saved.", email=user.email), "success")
        return redirect(url_for("users.list"))
    return render_template("users/form.html", form=form, user=user)


@permission_required(Permission.MANAGE_USERS)
def reset_two_factor(user_id: int):
    """Turn off a user's two-factor sign-in (a lost phone); they enrol again at their next sign-in
    when it is required. Their sessions end."""
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired; reload the users page and try again."))
    if not user.two_factor_enabled:
        flash(_("%(email)s has no two-factor sign-in to reset.", email=user.email), "info")
        return redirect(url_for("users.list"))
    twofactor.disable(user, current_user, action="reset_2fa")
    db.session.commit()
    flash(
        _("Two-factor sign-in of %(email)s is reset; their sessions have ended.", email=user.email), "success"
    )
    return redirect(url_for("users.list"))


@permission_required(Permission.MANAGE_USERS)
def deactivate(user_id: int):
    """Turn an account off: every session of it ends at once (new session token), and no sign-in
    (password, directory or OpenID Connect) lets it in until an admin turns it on again."""
    return _set_active(user_id, False)


@permission_required(Permission.MANAGE_USERS)
def activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired; reload the users page and try again."))
    if user.id == current_user.id:
        abort(400, _("You cannot turn off your own account."))
    if user.active != active:
        user.active = active
        user.rotate_session_token()
        audit.record("user", user.id, "update", current_user, {"active": [not active, active]})
        db.session.commit()
    if active:
        flash(_("%(email)s is active.", email=user.email), "success")
    else:
        flash(_("%(email)s is turned off; their sessions have ended.", email=user.email), "success")
    return redirect(url_for("users.list"))
