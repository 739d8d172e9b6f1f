"""The risk: what can go wrong, to whom, how likely and how bad, before and after controls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg import scoring
from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User
    from riskreg.controls.models import Control
    from riskreg.sites.models import Site
    from riskreg.standards.models import Requirement


class Direction(LabelledEnum):
    TO_COMPANY = "to_company"
    TO_COMMUNITIES = "to_communities"
    TO_ASM = "to_asm"

    @property
    def label(self) -> str:
        return {
            "to_company": "To the company",
            "to_communities": "To communities and stakeholders",
            "to_asm": "To ASM miners",
        }[self.value]


class ImpactArea(LabelledEnum):
    SAFETY = "safety"
    ENVIRONMENT = "environment"
    SOCIAL = "social"
    REPUTATION = "reputation"
    LEGAL = "legal"
    FINANCIAL = "financial"
    OPERATIONS = "operations"

    @property
    def label(self) -> str:
        return "Social and human rights" if self is ImpactArea.SOCIAL else super().label

    @classmethod
    def usual_for(cls, category: str) -> ImpactArea:
        """The consequence area that usually drives the impact of a category's risks (a pre-fill)."""
        return _USUAL_AREA.get(category, cls.SOCIAL)


_USUAL_AREA = {
    "Environment": ImpactArea.ENVIRONMENT,
    "Health & Safety": ImpactArea.SAFETY,
    "Legal & Regulatory": ImpactArea.LEGAL,
    "Operations & Production": ImpactArea.OPERATIONS,
    "Reputation": ImpactArea.REPUTATION,
    "Governance & Integrity": ImpactArea.LEGAL,
    "Supply Chain & Traceability": ImpactArea.REPUTATION,
    "Closure & Legacy": ImpactArea.FINANCIAL,
}


class Treatment(LabelledEnum):
    AVOID = "avoid"
    REDUCE = "reduce"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class RiskStatus(LabelledEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class Trend(LabelledEnum):
    RISING = "rising"
    STABLE = "stable"
    FALLING = "falling"


risk_requirements = sa.Table(
    "risk_requirements",
    db.metadata,
    sa.Column("risk_id", sa.ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("requirement_id", sa.ForeignKey("requirements.id"), primary_key=True, index=True),
)


def _level_check(column: str, nullable: bool = False) -> sa.CheckConstraint:
    condition = f"{column} BETWEEN 1 AND 5"
    if nullable:
        condition = f"{column} IS NULL OR ({condition})"
    return sa.CheckConstraint(condition, name=f"{column}_range")


class Readings:
    """What a risk's scores read as (its bands, its target score, whether its review is overdue):
    for the mapped Risk and for a register page's plain rows (riskreg.risks.rows) alike."""

    __slots__ = ()  # the rows keep theirs

    direction: Any
    inherent_likelihood: int
    inherent_impact: int
    residual_likelihood: int
    residual_impact: int
    target_likelihood: int | None
    target_impact: int | None

    def _matrix(self) -> scoring.Matrix:
        return scoring.matrix()

    @property
    def inherent_band(self) -> scoring.Band:
        return self._matrix().band(self.inherent_likelihood, self.inherent_impact, self.direction)

    @property
    def residual_band(self) -> scoring.Band:
        return self._matrix().band(self.residual_likelihood, self.residual_impact, self.direction)

    @property
    def target_score(self) -> int | None:
        if self.target_likelihood is None or self.target_impact is None:
            return None
        return scoring.score(self.target_likelihood, self.target_impact)

    @property
    def review_overdue(self) -> bool:
        from riskreg.reviews.rules import state_of  # the one home of the rule

        return state_of(self, utcnow().date()) == "overdue"


class Risk(Readings, db.Model):
    __tablename__ = "risks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # "R-0001", set after insert
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cause: Mapped[str] = mapped_column(sa.Text, default="")
    consequence: Mapped[str] = mapped_column(sa.Text, default="")
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)  # None: corporate
    direction: Mapped[Direction] = mapped_column(enum_type(Direction), index=True)
    category: Mapped[str] = mapped_column(sa.String(64), index=True)
    impact_area: Mapped[ImpactArea] = mapped_column(enum_type(ImpactArea))  # a judgement: no default
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    inherent_likelihood: Mapped[int]
    inherent_impact: Mapped[int]
    inherent_score: Mapped[int]
    residual_likelihood: Mapped[int]
    residual_impact: Mapped[int]
    residual_score: Mapped[int]
    # The rank of each score's band (0 = the lowest band), people-first rule included: stored and
    # indexed so the register sorts by band, then score, at any size. It depends on the matrix file
    # and preset: `flask risks rerank` recomputes it after either changes.
    inherent_band_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    residual_band_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    target_likelihood: Mapped[int | None]
    target_impact: Mapped[int | None]
    target_date: Mapped[date | None]
    treatment: Mapped[Treatment] = mapped_column(enum_type(Treatment))  # a judgement: no default
    status: Mapped[RiskStatus] = mapped_column(enum_type(RiskStatus), default=RiskStatus.OPEN, index=True)
    trend: Mapped[Trend | None] = mapped_column(enum_type(Trend))
    next_review_date: Mapped[date | None] = mapped_column(index=True)
    template_code: Mapped[str | None] = mapped_column(sa.String(16))
    # When the residual score was last (re)assessed; controls closed after it flag a review.
    residual_assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site | None] = relationship(lazy="raise")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="raise")
    controls: Mapped[list[Control]] = relationship(
        secondary="risk_controls", back_populates="risks", lazy="raise", order_by="Control.due_date"
    )
    requirements: Mapped[list[Requirement]] = relationship(secondary=risk_requirements, lazy="raise")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        _level_check("inherent_likelihood"),
        _level_check("inherent_impact"),
        _level_check("residual_likelihood"),
        _level_check("residual_impact"),
        _level_check("target_likelihood", nullable=True),
        _level_check("target_impact", nullable=True),
        # Covering indexes for the register's band counts and the dashboard's grids: GROUP BY cell and
        # direction over risks of a status, at one site or all, reads the index alone (100k risks on
        # SQLite: 13 ms instead of 215 ms; ~2 ms for one site). The last one counts risks past review.
        sa.Index(
            "ix_risks_residual_cell",
            "residual_likelihood",
            "residual_impact",
            "direction",
            "status",
            "site_id",
        ),
        sa.Index(
            "ix_risks_inherent_cell",
            "inherent_likelihood",
            "inherent_impact",
            "direction",
            "status",
            "site_id",
        ),
        sa.Index(
            "ix_risks_target_cell", "target_likelihood", "target_impact", "direction", "status", "site_id"
        ),
        sa.Index("ix_risks_status_review", "status", "next_review_date", "site_id", "direction"),
        # The dashboard's top ten: a cell's risks in id order, their direction, status and site read
        # off the index, so each chosen cell's first ten are read without a sort or a table lookup.
        sa.Index(
            "ix_risks_residual_top",
            "residual_likelihood",
            "residual_impact",
            "id",
            "direction",
            "status",
            "site_id",
        ),
        # The register's default order (worst first) and its inherent order, read off the index.
        sa.Index("ix_risks_residual_order", "residual_band_rank", "residual_score", "id"),
        sa.Index("ix_risks_inherent_order", "inherent_band_rank", "inherent_score", "id"),
        # Above appetite (residual band rank above the category's) per category and direction, read
        # off the index: the register filter, the dashboard panel and the executives' My work.
        sa.Index("ix_risks_category_band", "category", "residual_band_rank", "status", "direction"),
    )

    @property
    def editable(self) -> bool:
        """An archived risk is kept as it was: restore it before changing it or its controls."""
        return self.status is not RiskStatus.ARCHIVED

    @property
    def is_people_risk(self) -> bool:
        return scoring.is_people_direction(self.direction)

    @property
    def target_band(self) -> scoring.Band | None:
        if self.target_likelihood is None or self.target_impact is None:
            return None
        return self._matrix().band(self.target_likelihood, self.target_impact, self.direction)

    def __repr__(self) -> str:
        return f"<Risk {self.ref or self.id} {self.title!r}>"


class _BowtieItem:
    """A cause (left of the bowtie) or a consequence (right): short text, in the owner's order."""

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(sa.ForeignKey("risks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskCause(_BowtieItem, db.Model):
    __tablename__ = "risk_causes"
    __table_args__ = (sa.Index("ix_risk_causes_risk_position", "risk_id", "position"),)


class RiskConsequence(_BowtieItem, db.Model):
    __tablename__ = "risk_consequences"
    __table_args__ = (sa.Index("ix_risk_consequences_risk_position", "risk_id", "position"),)


SCORED_FIELDS = (
    "direction",
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
)


def stored_scores(values: Mapping[str, Any], matrix: scoring.Matrix | None = None) -> dict[str, int]:
    """The stored scores and band ranks of a risk's levels and direction. The ORM keeps them with
    the listener below; a writer that bypasses the ORM (bulk inserts) adds them from here."""
    matrix = matrix or scoring.matrix()
    stored = {}
    for basis in ("inherent", "residual"):
        likelihood, impact = values[f"{basis}_likelihood"], values[f"{basis}_impact"]
        stored[f"{basis}_score"] = scoring.score(likelihood, impact)
        stored[f"{basis}_band_rank"] = matrix.band(likelihood, impact, values["direction"]).rank
    return stored


@event.listens_for(Risk, "before_insert")
@event.listens_for(Risk, "before_update")
def _store_scores(mapper, connection, risk: Risk) -> None:
    """Keep the stored scores and band ranks (sorted and indexed in SQL) equal to their levels'."""
    for name, value in stored_scores({name: getattr(risk, name) for name in SCORED_FIELDS}).items():
        setattr(risk, name, value)


def format_ref(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"


def ref_expression(prefix: str, id_column: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    """format_ref in SQL, for a bulk UPDATE that sets the refs of many new rows in one statement."""
    digits = sa.cast(id_column, sa.String)
    padded = [
        (id_column < 10**width, sa.literal(f"{prefix}-{'0' * (4 - width)}") + digits) for width in (1, 2, 3)
    ]
    return sa.case(*padded, else_=sa.literal(f"{prefix}-") + digits)
