"""Forms of the admins' webhook pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from riskreg.forms import Form, options
from riskreg.webhooks.delivery import EVENTS


class EndpointForm(Form):
    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=2000)])
    description = StringField(_l("Description"), validators=[Length(max=200)])
    events = SelectMultipleField(
        _l("Events"),
        choices=options(EVENTS.items()),
        validators=[DataRequired(message=_l("Choose at least one event."))],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class SettingsForm(Form):
    allow_private = BooleanField(_l("Allow endpoints on loopback, link-local and private addresses"))
