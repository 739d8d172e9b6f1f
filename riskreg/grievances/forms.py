"""Forms of the grievance mechanism: record a grievance, take a step, link, the complainant."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from riskreg.forms import (
    DateField,  # YYYY-MM-DD inputs
    EnumSelectField,
    Form,
    IdSelectField,
    optional_int,
    options,
)
from riskreg.grievances.models import GrievanceCategory, GrievanceChannel, GrievanceStatus
from riskreg.sites.forms import not_in_future
from riskreg.versioning import BaseField, VersionField

COMPLAINANT_FORM_FIELDS = ("complainant_name", "complainant_contact", "complainant_notes")


class GrievanceForm(Form):
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(_l("Give the date.")), not_in_future]
    )
    site_id = IdSelectField(_l("Site"), blank=_l("Choose…"))
    channel = EnumSelectField(
        _l("Channel"), GrievanceChannel, choose=_l("Say how the grievance was received.")
    )
    stakeholder_id = IdSelectField(_l("Stakeholder"), blank=_l("— none, or not known —"))
    anonymous = BooleanField(_l("Anonymous (the complainant asked not to be named)"))
    category = EnumSelectField(
        _l("Category"), GrievanceCategory, choose=_l("Choose a category (Other if none fits).")
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5_000)])
    severity = SelectField(_l("Severity (consequence to people)"), validators=[Optional()])
    human_rights_impact = BooleanField(_l("Alleges a human-rights impact"))
    owner_department_id = IdSelectField(_l("Owner department"), blank=_l("— the recorder's department —"))
    # Only grievance officers and admins see and fill these (a post from anyone else is refused).
    complainant_name = StringField(_l("Complainant's name"), validators=[Length(max=200)])
    complainant_contact = StringField(
        _l("Contact (phone, address, through whom)"), validators=[Length(max=300)]
    )
    complainant_notes = TextAreaField(_l("Notes on the complainant"), validators=[Length(max=5_000)])

    def set_choices(
        self,
        sites: list[tuple[int, str]],
        stakeholders: list[tuple[int, str]],
        departments: list[tuple[int, str]],
    ) -> None:
        self.site_id.set_choices(sites)
        self.stakeholder_id.set_choices(stakeholders)
        self.owner_department_id.set_choices(departments)

    def set_severity_levels(self, levels: list[tuple[int, str]]) -> None:
        self.severity.choices = options([("", _l("Not assessed")), *levels])

    def values(self) -> dict[str, Any]:
        skip = {"csrf_token", *COMPLAINANT_FORM_FIELDS}
        return {name: field.data for name, field in self._fields.items() if name not in skip}

    def complainant(self) -> dict[str, Any]:
        return {
            "name": self.complainant_name.data,
            "contact": self.complainant_contact.data,
            "notes": self.complainant_notes.data,
        }


class StepForm(Form):
    step = EnumSelectField(_l("Next step"), GrievanceStatus, choose=_l("Choose the next step."))
    on = DateField(_l("On"), validators=[InputRequired(_l("Give the date of the step.")), not_in_future])
    note = TextAreaField(_l("Note"), validators=[Length(max=5_000)])
    response = TextAreaField(_l("Response proposed"), validators=[Length(max=5_000)])
    accepted = SelectField(
        _l("Did the complainant accept the response?"),
        choices=options([("", _l("Not known")), ("yes", _l("Yes")), ("no", _l("No"))]),
        validators=[Optional()],
    )

    def accepted_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.accepted.data or "")


class LinkForm(Form):
    risk_ref = StringField(_l("Risk (ref)"), validators=[Length(max=16)])
    control_ref = StringField(_l("Control (ref)"), validators=[Length(max=16)])


class ComplainantForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    contact = StringField(_l("Contact"), validators=[Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5_000)])


class DeadlinesForm(Form):
    acknowledge_days = IntegerField(
        _l("Acknowledge within (days)"),
        validators=[
            InputRequired(_l("Give a number of days.")),
            NumberRange(1, 365, _l("From 1 to 365 days.")),
        ],
    )
    respond_days = IntegerField(
        _l("Respond within (days)"),
        validators=[
            InputRequired(_l("Give a number of days.")),
            NumberRange(1, 365, _l("From 1 to 365 days.")),
        ],
    )


class GrievanceEditForm(Form):
    """What may be corrected or assessed after recording (the steps have their own form)."""

    channel = EnumSelectField(
        _l("Channel"), GrievanceChannel, choose=_l("Say how the grievance was received.")
    )
    stakeholder_id = IdSelectField(_l("Stakeholder"), blank=_l("— none, or not known —"))
    category = EnumSelectField(
        _l("Category"), GrievanceCategory, choose=_l("Choose a category (Other if none fits).")
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5_000)])
    severity = SelectField(
        _l("Severity (consequence to people)"), coerce=optional_int, validators=[Optional()]
    )
    human_rights_impact = BooleanField(_l("Alleges a human-rights impact"))
    owner_department_id = IdSelectField(_l("Owner department"), blank="—")
    version = VersionField()
    base = BaseField()

    def set_choices(
        self,
        stakeholders: list[tuple[int, str]],
        departments: list[tuple[int, str]],
        levels: list[tuple[int, str]],
    ) -> None:
        self.stakeholder_id.set_choices(stakeholders)
        self.owner_department_id.set_choices(departments)
        self.severity.choices = options([("", _l("Not assessed")), *levels])
