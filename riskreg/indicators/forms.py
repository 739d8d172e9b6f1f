"""Forms: an indicator's thresholds and owner (admins), a risk linked by hand, "reviewed, no change"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from riskreg.forms import Form, IdSelectField
from riskreg.reviews.forms import NoChangeForm  # noqa: F401  (its home is the reviews feature)


class ThresholdForm(Form):
    # Text fields: the service parses them, so "abc" gets riskreg's message, not a generic one.
    amber = StringField(_l("Amber at"), validators=[InputRequired(), Length(max=40)])
    red = StringField(_l("Red at"), validators=[InputRequired(), Length(max=40)])
    owner_id = IdSelectField(_l("Owner"), blank=_l("— nobody yet —"))
    version = HiddenField()


class LinkForm(Form):
    risk_id = IdSelectField(_l("Risk at this site"))
