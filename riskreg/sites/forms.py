"""Site form (admins); ASM observation, engagement and presence forms (monitoring)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from riskreg.forms import (
    DateField,  # YYYY-MM-DD inputs
    EnumSelectField,
    IdSelectField,
    options,
)
from riskreg.modeling import today
from riskreg.sites.models import (
    ActivityType,
    AsmApproach,
    AsmPresence,
    ChemicalUse,
    EngagementMode,
    FormalisationStatus,
    Lifecycle,
    ObservationLocation,
    ObservationSource,
    OecdLegitimacy,
    StakeholderGroup,
    WomenParticipation,
)
from riskreg.versioning import BaseField, VersionField


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
    lifecycle = EnumSelectField("Lifecycle", Lifecycle, choose="Choose the site's lifecycle stage.")
    asm_approach = EnumSelectField("ASM management approach", AsmApproach, default=AsmApproach.NOT_DEFINED)
    description = TextAreaField("Description", validators=[Length(max=5_000)])


class SiteEditForm(SiteForm):
    """Editing a stored site: the version and the signed base it was opened with are required."""

    version = VersionField()
    base = BaseField()


def not_in_future(form: Any, field: Any) -> None:
    if field.data is not None and field.data > today():
        raise ValidationError("The date cannot be in the future.")


class ObservationForm(FlaskForm):
    observed_on = DateField("Date", validators=[InputRequired("Give the date."), not_in_future])
    location = EnumSelectField("Where", ObservationLocation, choose="Say where the ASM was observed.")
    distance_km = FloatField(
        "Distance from the site (km)",
        validators=[Optional(), NumberRange(min=0, message="The distance cannot be negative.")],
    )
    miners_estimate = IntegerField(
        "Estimated number of miners",
        validators=[
            Optional(),
            NumberRange(min=0, max=10_000_000, message="The number of miners must be from 0 to 10,000,000."),
        ],
    )
    minerals = StringField("Minerals", validators=[Length(max=200)])
    activity_type = EnumSelectField(
        "Activity type", ActivityType, choose="Choose the type of activity (Other if none fits)."
    )
    mercury_use = EnumSelectField(
        "Mercury use", ChemicalUse, choose="Say whether mercury use was observed, reported or not observed."
    )
    cyanide_use = EnumSelectField(
        "Cyanide use", ChemicalUse, choose="Say whether cyanide use was observed, reported or not observed."
    )
    children_seen = BooleanField("Children seen working")
    # Where an honest "don't know" exists, it is the default; otherwise the choice is required.
    women_participation = EnumSelectField(
        "Women's participation", WomenParticipation, default=WomenParticipation.UNKNOWN
    )
    security_incident = BooleanField("Security incident")
    formalisation_status = EnumSelectField(
        "Formalisation status", FormalisationStatus, default=FormalisationStatus.UNKNOWN
    )
    oecd_legitimacy = EnumSelectField(
        "Legitimate in the OECD sense", OecdLegitimacy, default=OecdLegitimacy.NOT_ASSESSED
    )
    source = EnumSelectField("Source", ObservationSource, choose="Choose the source of the information.")
    notes = TextAreaField("Notes", validators=[Length(max=5_000)])

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class EngagementForm(FlaskForm):
    held_on = DateField("Date", validators=[InputRequired("Give the date."), not_in_future])
    stakeholder_group = EnumSelectField(
        "Stakeholder group", StakeholderGroup, choose="Choose the stakeholder group engaged."
    )
    mode = EnumSelectField(
        "Direct or indirect", EngagementMode, choose="Say whether the engagement was direct or indirect."
    )
    topics = TextAreaField("Topics", validators=[DataRequired("Say what was discussed."), Length(max=5_000)])
    grievances = TextAreaField("Grievances raised", validators=[Length(max=5_000)])
    formalisation_support = BooleanField("Formalisation support activity")
    follow_up_controls = SelectMultipleField("Follow-up controls", coerce=int, validate_choice=False)
    stakeholder_id = IdSelectField("Stakeholder met", blank="— not on the site's map —")

    def set_controls(self, choices: list[tuple[int, str]]) -> None:
        self.follow_up_controls.choices = options(choices)

    def set_stakeholders(self, choices: list[tuple[int, str]]) -> None:
        self.stakeholder_id.set_choices(choices)

    def validate_follow_up_controls(self, field: Any) -> None:
        known = {int(choice.value) for choice in field.choices or []}
        unknown = [str(value) for value in field.data or [] if value not in known]
        if unknown:
            raise ValidationError(
                f"Not a control of this site's risks: {', '.join(unknown)}. Choose from the list."
            )

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class PresenceForm(FlaskForm):
    source = RadioField(
        "ASM presence",
        choices=options(
            [
                ("observations", "Follow the observations"),
                ("manual", "Set by hand (with a reason)"),
            ]
        ),
        validators=[InputRequired("Choose how the presence is set.")],
    )
    presence = EnumSelectField("Presence", AsmPresence, optional=True)
    reason = TextAreaField("Reason", validators=[Length(max=2_000)])
    version = VersionField()  # the site's version when the page was opened
    base = BaseField()

    def validate_presence(self, field: Any) -> None:
        if self.source.data == "manual" and field.data is None:
            raise ValidationError("Choose the presence to set.")

    def validate_reason(self, field: Any) -> None:
        if self.source.data == "manual" and not (field.data or "").strip():
            raise ValidationError("Give the reason for setting the presence by hand.")
