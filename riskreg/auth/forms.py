"""Sign-in form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from riskreg.forms import Form


class LoginForm(Form):
    # Not an email field: a directory account may sign in with its user name.
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class SecondFactorForm(Form):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
    )
    submit = SubmitField(_l("Continue"))
