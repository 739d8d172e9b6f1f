"""The forms of /me/settings: a new password (the current one required) and the notices wanted."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange

from riskreg.forms import Form, options
from riskreg.i18n.languages import LANGUAGES
from riskreg.mail import KINDS


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )
    save_password = SubmitField(_l("Change password"))


def notifications_form(wanted: set[str]) -> Form:
    """One checkbox per kind of notice (riskreg.mail.KINDS), ticked when wanted."""

    class NotificationsForm(Form):
        save_notifications = SubmitField(_l("Save notices"))

    for kind, label in KINDS.items():
        setattr(NotificationsForm, f"kind_{kind}", BooleanField(label, default=kind in wanted))
    return NotificationsForm(prefix="notices")


class LanguageForm(Form):
    """The language riskreg speaks to this user; empty follows the browser's Accept-Language."""

    locale = SelectField(
        _l("Language"),
        choices=options([("", _l("The browser's language")), *LANGUAGES.items()]),
        default="",
    )
    save_language = SubmitField(_l("Save language"))


class EnableTwoFactorForm(Form):
    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=12)])
    enable = SubmitField(_l("Turn on two-factor sign-in"))


class TwoFactorCodeForm(Form):
    """Changes to a second factor already on need a current code (a stolen session is not enough)."""

    code = StringField(_l("Current code from the app"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Confirm"))


class TokenForm(Form):
    """A new personal access token of the API (riskreg/api/tokens.py)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    access = RadioField(
        _l("Access"),
        choices=options([("read", _l("Read only")), ("write", _l("Read and write (as far as my role may)"))]),
        default="read",
        validators=[DataRequired()],
    )
    days = IntegerField(
        _l("Expires after (days)"),
        default=90,
        validators=[InputRequired(), NumberRange(min=1, max=365, message=_l("From 1 to 365 days."))],
    )
    create_token = SubmitField(_l("Create token"))
