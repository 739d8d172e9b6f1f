"""The risk form: one screen for create and edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from riskreg import reference, scoring
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.forms import (
    CHOOSE,
    DateField,  # YYYY-MM-DD inputs
    EnumSelectField,
    IdSelectField,
    SelectChoice,
    options,
)
from riskreg.risks import services
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment, Trend
from riskreg.sites.models import Site
from riskreg.standards.forms import RequirementsField
from riskreg.versioning import BaseField, VersionField


def level_field(label: str, required: bool = True) -> SelectField:
    """A 1-5 select. A required score starts empty ("Choose…"): a score nobody chose is no score."""
    matrix = scoring.matrix()
    source = matrix.likelihood if "likelihood" in label.lower() else matrix.impact
    choices: list[tuple[Any, str]] = [(lv.value, f"{lv.value} · {lv.label}") for lv in source]
    message = f"Choose the {label.lower()}: a level from 1 to 5."
    validators: list[Any] = [InputRequired(message)] if required else [Optional()]
    choices = [("", CHOOSE if required else "—"), *choices]
    return SelectField(label, choices=options(choices), coerce=_level, validators=validators)


def _level(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # reported by validate_choice as "Not a valid choice"


class RiskForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    cause = TextAreaField("Cause", validators=[Length(max=5_000)])
    consequence = TextAreaField("Consequence", validators=[Length(max=5_000)])
    site_id = IdSelectField("Site", blank="Corporate (no single site)")
    direction = EnumSelectField("Direction", Direction, choose="Choose the direction: whom the risk harms.")
    category = SelectField("Category", validators=[DataRequired("Choose the category of the risk.")])
    impact_area = EnumSelectField(
        "Consequence area that drives the impact",
        ImpactArea,
        choose="Choose the consequence area that drives the impact.",
    )
    owner_id = IdSelectField("Owner")
    inherent_likelihood = level_field("Inherent likelihood")
    inherent_impact = level_field("Inherent impact")
    residual_likelihood = level_field("Residual likelihood")
    residual_impact = level_field("Residual impact")
    target_likelihood = level_field("Target likelihood", required=False)
    target_impact = level_field("Target impact", required=False)
    target_date = DateField("Target date", validators=[Optional()])
    treatment = EnumSelectField(
        "Treatment", Treatment, choose="Choose the treatment: avoid, reduce, transfer or accept."
    )
    status = SelectField(
        "Status", choices=options((s.value, s.label) for s in RiskStatus if s is not RiskStatus.ARCHIVED)
    )
    trend = EnumSelectField("Trend", Trend, optional=True)
    next_review_date = DateField("Next review", validators=[Optional()])
    requirements = RequirementsField(
        "Standard requirements",
        description="Requirements of the standards this risk is relevant to (Ctrl/Cmd-click for several).",
    )
    template_code = HiddenField()
    version = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()
        self.site_id.set_choices(site_pairs())
        self.owner_id.set_choices(owner_pairs())
        self.requirements.load_choices()

    def validate_residual_impact(self, field: Any) -> None:
        levels = {name: getattr(self, name).data for name in services.SCORE_FIELDS}
        if None in levels.values() or -1 in levels.values():
            return  # each level field reports its own error
        try:
            services.check_residual(levels)
        except services.RiskRuleError as error:
            raise ValidationError(str(error)) from error

    def validate_template_code(self, field: Any) -> None:
        from riskreg.standards.templates import get_template

        if field.data and get_template(field.data) is None:
            raise ValidationError(f"There is no risk template {field.data!r}.")

    def validate_target_impact(self, field: Any) -> None:
        if (self.target_likelihood.data is None) != (field.data is None):
            raise ValidationError("Give both a target likelihood and a target impact, or neither.")

    def values(self) -> dict[str, Any]:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token",)}
        data["status"] = RiskStatus(data["status"])
        data["template_code"] = data.get("template_code") or None
        data["requirements"] = list(data.get("requirements") or [])
        return data


def category_choices() -> list[SelectChoice]:
    return options([("", CHOOSE), *((c, c) for c in reference.categories())])


def site_pairs() -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in db.session.execute(sa.select(Site.id, Site.name).order_by(Site.name))]


def owner_pairs() -> list[tuple[int, str]]:
    users = db.session.execute(sa.select(User.id, User.name).where(User.active.is_(True)).order_by(User.name))
    return [(u.id, u.name) for u in users]


@dataclass(frozen=True)
class Choices:
    choices: list[SelectChoice]


@dataclass(frozen=True)
class FilterChoices:
    """The register's filter and bulk-change menus: the risk form's site, direction, category and
    owner choices, without building the form (nor loading the requirements catalogue)."""

    site_id: Choices
    direction: Choices
    category: Choices
    owner_id: Choices

    @classmethod
    def load(cls) -> FilterChoices:
        return cls(
            site_id=Choices(options(site_pairs())),
            direction=Choices(options(Direction.choices())),
            category=Choices(category_choices()),
            owner_id=Choices(options(owner_pairs())),
        )


class ArchiveForm(FlaskForm):
    reason = TextAreaField("Why is this risk archived?", validators=[Length(max=2_000)])


class RiskEditForm(RiskForm):
    """Editing a stored risk: the version and the signed base it was opened with are required."""

    version = VersionField()
    base = BaseField()
