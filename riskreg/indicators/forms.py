"""Forms: an indicator's thresholds and owner (admins), a risk linked by hand, "reviewed, no change"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from riskreg.forms import IdSelectField


class ThresholdForm(FlaskForm):
    # Text fields: the service parses them, so "abc" gets riskreg's message, not a generic one.
    amber = StringField("Amber at", validators=[InputRequired(), Length(max=40)])
    red = StringField("Red at", validators=[InputRequired(), Length(max=40)])
    owner_id = IdSelectField("Owner", blank="— nobody yet —")
    version = HiddenField()


class LinkForm(FlaskForm):
    risk_id = IdSelectField("Risk at this site")


class NoChangeForm(FlaskForm):
    note = TextAreaField(
        "Why the risk stays as it is",
        validators=[InputRequired("Say in a note why the risk stays as it is."), Length(max=2000)],
    )
