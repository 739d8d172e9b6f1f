"""Forms of the saved views (each with its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from riskreg.forms import Form
from riskreg.savedviews.models import MAX_NAME, MAX_QUERY


class SaveViewForm(Form):
    page = HiddenField(validators=[DataRequired()])
    query = HiddenField(validators=[Length(max=MAX_QUERY)])  # the page's current query string
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=MAX_NAME)])
    shared = BooleanField(_l("Share with everyone"))
    make_default = BooleanField(_l("Open the page on it"))


class EditViewForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=MAX_NAME)])
    shared = BooleanField(_l("Share with everyone"))


class RefilterForm(Form):
    query = HiddenField(validators=[Length(max=MAX_QUERY)])


class ClearDefaultForm(Form):
    page = HiddenField(validators=[DataRequired()])
