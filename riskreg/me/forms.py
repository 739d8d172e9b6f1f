"""The forms of /me/settings: a new password (the current one required) and the notices wanted."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from riskreg.mail import KINDS


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords differ.")],
    )
    save_password = SubmitField("Change password")


def notifications_form(wanted: set[str]) -> FlaskForm:
    """One checkbox per kind of notice (riskreg.mail.KINDS), ticked when wanted."""

    class NotificationsForm(FlaskForm):
        save_notifications = SubmitField("Save notices")

    for kind, label in KINDS.items():
        setattr(NotificationsForm, f"kind_{kind}", BooleanField(label, default=kind in wanted))
    return NotificationsForm(prefix="notices")


class EnableTwoFactorForm(FlaskForm):
    code = StringField("Code from the app", validators=[DataRequired(), Length(max=12)])
    enable = SubmitField("Turn on two-factor sign-in")


class TwoFactorCodeForm(FlaskForm):
    """Changes to a second factor already on need a current code (a stolen session is not enough)."""

    code = StringField("Current code from the app", validators=[DataRequired(), Length(max=40)])
    submit = SubmitField("Confirm")
