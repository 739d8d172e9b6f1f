"""The risk form: one screen for create and edit."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from riskreg import reads, reference, scoring
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.forms import (
    CHOOSE,
    DateField,  # YYYY-MM-DD inputs
    EnumSelectField,
    Form,
    IdSelectField,
    SelectChoice,
    options,
)
from riskreg.risks import services
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment, Trend
from riskreg.sites.models import Site
from riskreg.standards.forms import RequirementsField
from riskreg.versioning import BaseField, VersionField


def level_field(label: Any, message: Any = None) -> SelectField:
    """A 1-5 select. A required score (one with a `message`) starts empty ("Choose…"): a score
    nobody chose is no score. Its levels' words are set per form, in the reader's language."""
    validators: list[Any] = [InputRequired(message)] if message is not None else [Optional()]
    return SelectField(label, choices=[], coerce=_level, validators=validators)


def level_choices(kind: str, required: bool) -> list[SelectChoice]:
    """The 1-5 levels of the matrix's likelihood or impact ("3 · Possible"), in the reader's language."""
    from riskreg.i18n.reference import translate

    matrix = scoring.matrix()
    source = matrix.likelihood if kind == "likelihood" else matrix.impact
    choices: list[tuple[Any, Any]] = [(lv.value, f"{lv.value} · {translate(lv.label)}") for lv in source]
    return options([("", CHOOSE if required else "—"), *choices])


def _level(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # reported by validate_choice as "Not a valid choice"


class RiskForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    cause = TextAreaField(_l("Cause"), validators=[Length(max=5_000)])
    consequence = TextAreaField(_l("Consequence"), validators=[Length(max=5_000)])
    site_id = IdSelectField(_l("Site"), blank=_l("Corporate (no single site)"))
    direction = EnumSelectField(
        _l("Direction"), Direction, choose=_l("Choose the direction: whom the risk harms.")
    )
    category = SelectField(_l("Category"), validators=[DataRequired(_l("Choose the category of the risk."))])
    impact_area = EnumSelectField(
        _l("Consequence area that drives the impact"),
        ImpactArea,
        choose=_l("Choose the consequence area that drives the impact."),
    )
    owner_id = IdSelectField(_l("Owner"))
    inherent_likelihood = level_field(
        _l("Inherent likelihood"), _l("Choose the inherent likelihood: a level from 1 to 5.")
    )
    inherent_impact = level_field(
        _l("Inherent impact"), _l("Choose the inherent impact: a level from 1 to 5.")
    )
    residual_likelihood = level_field(
        _l("Residual likelihood"), _l("Choose the residual likelihood: a level from 1 to 5.")
    )
    residual_impact = level_field(
        _l("Residual impact"), _l("Choose the residual impact: a level from 1 to 5.")
    )
    target_likelihood = level_field(_l("Target likelihood"))
    target_impact = level_field(_l("Target impact"))
    target_date = DateField(_l("Target date"), validators=[Optional()])
    treatment = EnumSelectField(
        _l("Treatment"), Treatment, choose=_l("Choose the treatment: avoid, reduce, transfer or accept.")
    )
    status = SelectField(_l("Status"), choices=[])
    trend = EnumSelectField(_l("Trend"), Trend, optional=True)
    next_review_date = DateField(_l("Next review"), validators=[Optional()])
    requirements = RequirementsField(
        _l("Standard requirements"),
        description=_l(
            "Requirements of the standards this risk is relevant to (Ctrl/Cmd-click for several)."
        ),
    )
    template_code = HiddenField()
    version = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()
        for name in services.SCORE_FIELDS + ("target_likelihood", "target_impact"):
            kind = "likelihood" if name.endswith("likelihood") else "impact"
            getattr(self, name).choices = level_choices(kind, required=name in services.SCORE_FIELDS)
        self.status.choices = options((s.value, s.label) for s in RiskStatus if s is not RiskStatus.ARCHIVED)
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
            raise ValidationError(_l("There is no risk template %(code)s.", code=repr(field.data)))

    def validate_target_impact(self, field: Any) -> None:
        if (self.target_likelihood.data is None) != (field.data is None):
            raise ValidationError(_l("Give both a target likelihood and a target impact, or neither."))

    def values(self) -> dict[str, Any]:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token",)}
        data["status"] = RiskStatus(data["status"])
        data["template_code"] = data.get("template_code") or None
        data["requirements"] = list(data.get("requirements") or [])
        return data


def category_choices() -> list[SelectChoice]:
    """The categories (stored in English), shown in the reader's language."""
    from riskreg.i18n.reference import translate

    return options([("", CHOOSE), *((c, translate(c)) for c in reference.categories())])


def _sites() -> sa.Select:
    return sa.select(Site.id, Site.name)


def _owners() -> sa.Select:
    return sa.select(User.id, User.name).where(User.active.is_(True))


def site_pairs() -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in db.session.execute(_sites().order_by(Site.name))]


def owner_pairs() -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in db.session.execute(_owners().order_by(User.name))]


@functools.cache
def _menus() -> sa.Select:
    """The sites and the active owners, each by name, in one statement (one round trip)."""
    both = sa.union_all(
        _sites().add_columns(sa.literal(0).label("menu")), _owners().add_columns(sa.literal(1).label("menu"))
    ).subquery()
    return sa.select(both.c.menu, both.c.id, both.c.name).order_by(both.c.menu, both.c.name)


def menu_pairs() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(site_pairs(), owner_pairs()), read together."""
    menus: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
    for menu, row_id, name in reads.rows(_menus()):
        menus[menu].append((row_id, name))
    return menus


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
        sites, owners = menu_pairs()
        return cls(
            site_id=Choices(options(sites)),
            direction=Choices(options(Direction.choices())),
            category=Choices(category_choices()),
            owner_id=Choices(options(owners)),
        )


class ArchiveForm(Form):
    reason = TextAreaField(_l("Why is this risk archived?"), validators=[Length(max=2_000)])


class RiskEditForm(RiskForm):
    """Editing a stored risk: the version and the signed base it was opened with are required."""

    version = VersionField()
    base = BaseField()
