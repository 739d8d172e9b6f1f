"""Site form (admins)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from riskreg.forms import EnumSelectField
from riskreg.sites.models import AsmApproach, Lifecycle


class SiteForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    country = StringField("Country", validators=[DataRequired(), Length(max=80)])
    region = StringField("Region", validators=[Length(max=120)])
    commodity = StringField("Commodity", validators=[Length(max=80)])
    latitude = FloatField(
        "Latitude", validators=[Optional(), NumberRange(-90, 90, "Latitude must be between -90 and 90.")]
    )
    longitude = FloatField(
        "Longitude",
        validators=[Optional(), NumberRange(-180, 180, "Longitude must be between -180 and 180.")],
    )
    lifecycle = EnumSelectField("Lifecycle", Lifecycle)
    asm_approach = EnumSelectField("ASM management approach", AsmApproach)
    description = TextAreaField("Description", validators=[Length(max=5_000)])
    version = IntegerField(validators=[Optional()])
