"""Site form (admins); ASM observation, engagement and presence forms (monitoring)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
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
    Form,
    IdSelectField,
    options,
)
from riskreg.i18n import gettext as _
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


class SiteForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    country = StringField(_l("Country"), validators=[DataRequired(), Length(max=80)])
    region = StringField(_l("Region"), validators=[Length(max=120)])
    commodity = StringField(_l("Commodity"), validators=[Length(max=80)])
    latitude = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(-90, 90, _l("Latitude must be between -90 and 90."))],
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(-180, 180, _l("Longitude must be between -180 and 180."))],
    )
    lifecycle = EnumSelectField(_l("Lifecycle"), Lifecycle, choose=_l("Choose the site's lifecycle stage."))
    asm_approach = EnumSelectField(
        _l("ASM management approach"), AsmApproach, default=AsmApproach.NOT_DEFINED
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5_000)])


class SiteEditForm(SiteForm):
    """Editing a stored site: the version and the signed base it was opened with are required."""

    version = VersionField()
    base = BaseField()


def not_in_future(form: Any, field: Any) -> None:
    if field.data is not None and field.data > today():
        raise ValidationError(_("The date cannot be in the future."))


class ObservationForm(Form):
    observed_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date.")), not_in_future])
    location = EnumSelectField(_l("Where"), ObservationLocation, choose=_l("Say where the ASM was observed."))
    distance_km = FloatField(
        _l("Distance from the site (km)"),
        validators=[Optional(), NumberRange(min=0, message=_l("The distance cannot be negative."))],
    )
    miners_estimate = IntegerField(
        _l("Estimated number of miners"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=10_000_000, message=_l("The number of miners must be from 0 to 10,000,000.")
            ),
        ],
    )
    minerals = StringField(_l("Minerals"), validators=[Length(max=200)])
    activity_type = EnumSelectField(
        _l("Activity type"), ActivityType, choose=_l("Choose the type of activity (Other if none fits).")
    )
    mercury_use = EnumSelectField(
        _l("Mercury use"),
        ChemicalUse,
        choose=_l("Say whether mercury use was observed, reported or not observed."),
    )
    cyanide_use = EnumSelectField(
        _l("Cyanide use"),
        ChemicalUse,
        choose=_l("Say whether cyanide use was observed, reported or not observed."),
    )
    children_seen = BooleanField(_l("Children seen working"))
    # Where an honest "don't know" exists, it is the default; otherwise the choice is required.
    women_participation = EnumSelectField(
        _l("Women's participation"), WomenParticipation, default=WomenParticipation.UNKNOWN
    )
    security_incident = BooleanField(_l("Security incident"))
    formalisation_status = EnumSelectField(
        _l("Formalisation status"), FormalisationStatus, default=FormalisationStatus.UNKNOWN
    )
    oecd_legitimacy = EnumSelectField(
        _l("Legitimate in the OECD sense"), OecdLegitimacy, default=OecdLegitimacy.NOT_ASSESSED
    )
    source = EnumSelectField(
        _l("Source"), ObservationSource, choose=_l("Choose the source of the information.")
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5_000)])

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class EngagementForm(Form):
    held_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date.")), not_in_future])
    stakeholder_group = EnumSelectField(
        _l("Stakeholder group"), StakeholderGroup, choose=_l("Choose the stakeholder group engaged.")
    )
    mode = EnumSelectField(
        _l("Direct or indirect"),
        EngagementMode,
        choose=_l("Say whether the engagement was direct or indirect."),
    )
    topics = TextAreaField(
        _l("Topics"), validators=[DataRequired(_l("Say what was discussed.")), Length(max=5_000)]
    )
    grievances = TextAreaField(_l("Grievances raised"), validators=[Length(max=5_000)])
    formalisation_support = BooleanField(_l("Formalisation support activity"))
    follow_up_controls = SelectMultipleField(_l("Follow-up controls"), coerce=int, validate_choice=False)
    stakeholder_id = IdSelectField(_l("Stakeholder met"), blank=_l("— not on the site's map —"))

    def set_controls(self, choices: list[tuple[int, str]]) -> None:
        self.follow_up_controls.choices = options(choices)

    def set_stakeholders(self, choices: list[tuple[int, str]]) -> None:
        self.stakeholder_id.set_choices(choices)

    def validate_follow_up_controls(self, field: Any) -> None:
        known = {int(choice.value) for choice in field.choices or []}
        unknown = [str(value) for value in field.data or [] if value not in known]
        if unknown:
            raise ValidationError(
                _(
                    "Not a control of this site's risks: %(ids)s. Choose from the list.",
                    ids=", ".join(unknown),
                )
            )

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class PresenceForm(Form):
    source = RadioField(
        _l("ASM presence"),
        choices=options(
            [
                ("observations", _l("Follow the observations")),
                ("manual", _l("Set by hand (with a reason)")),
            ]
        ),
        validators=[InputRequired(_l("Choose how the presence is set."))],
    )
    presence = EnumSelectField(_l("Presence"), AsmPresence, optional=True)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2_000)])
    version = VersionField()  # the site's version when the page was opened
    base = BaseField()

    def validate_presence(self, field: Any) -> None:
        if self.source.data == "manual" and field.data is None:
            raise ValidationError(_("Choose the presence to set."))

    def validate_reason(self, field: Any) -> None:
        if self.source.data == "manual" and not (field.data or "").strip():
            raise ValidationError(_("Give the reason for setting the presence by hand."))
