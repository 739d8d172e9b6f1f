"""The stakeholder and engagement plan forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from riskreg.forms import EnumSelectField, Form, IdSelectField, optional_int, options
from riskreg.sites.models import OecdLegitimacy
from riskreg.stakeholders.models import StakeholderType
from riskreg.versioning import BaseField, VersionField

LEVEL_CHOICES = options(
    [
        ("", _l("Not assessed")),
        (1, _l("1 · very low")),
        (2, _l("2 · low")),
        (3, _l("3 · medium")),
        (4, _l("4 · high")),
        (5, _l("5 · very high")),
    ]
)


class StakeholderForm(Form):
    name = StringField(
        _l("Group or organisation"), validators=[InputRequired(_l("Name the group.")), Length(max=200)]
    )
    type = EnumSelectField(
        _l("Type"), StakeholderType, choose=_l("Choose the type of stakeholder (Other if none fits).")
    )
    influence = SelectField(
        _l("Influence"), choices=LEVEL_CHOICES, coerce=optional_int, validators=[Optional()]
    )
    interest = SelectField(
        _l("Interest (or how affected)"), choices=LEVEL_CHOICES, coerce=optional_int, validators=[Optional()]
    )
    oecd_legitimacy = EnumSelectField(
        _l("Legitimate in the OECD sense"), OecdLegitimacy, default=OecdLegitimacy.NOT_ASSESSED
    )
    languages = StringField(_l("Languages"), validators=[Length(max=200)])
    preferred_channel = StringField(_l("Preferred channel"), validators=[Length(max=120)])
    consent_noted = BooleanField(_l("Consent to record a contact person noted"))
    contact_person = StringField(_l("Contact person (only with consent)"), validators=[Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5_000)])

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class PlanForm(Form):
    year = IntegerField(_l("Year"), validators=[InputRequired(_l("Give the year.")), NumberRange(2000, 2100)])
    stakeholder_id = IdSelectField(_l("Stakeholder"))
    planned_count = IntegerField(
        _l("Engagements planned"),
        validators=[InputRequired(_l("Give the number planned.")), NumberRange(0, 365)],
    )
    frequency = StringField(_l("Frequency or dates"), validators=[Length(max=120)])
    channel = StringField(_l("Channel"), validators=[Length(max=120)])
    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=5_000)])
    owner_department_id = IdSelectField(_l("Owner department"), blank="—")
    risk_ids = SelectMultipleField(_l("Linked risks"), coerce=int, validate_choice=False)
    # The service refuses an id that is not in the catalogue, with a message.
    requirement_ids = SelectMultipleField(
        _l("Evidence for the requirements"), coerce=int, validate_choice=False
    )

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class StakeholderEditForm(StakeholderForm):
    version = VersionField()
    base = BaseField()


class PlanEditForm(Form):
    """A plan's numbers, texts and links; its stakeholder and year are the plan itself."""

    planned_count = PlanForm.planned_count
    frequency = PlanForm.frequency
    channel = PlanForm.channel
    purpose = PlanForm.purpose
    owner_department_id = IdSelectField(_l("Owner department"), blank="—")
    risk_ids = PlanForm.risk_ids
    requirement_ids = PlanForm.requirement_ids
    version = VersionField()
    base = BaseField()
