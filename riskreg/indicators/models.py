"""Key risk indicators: the library, each site's instance with its thresholds and owner, the risks
it is linked to by hand, and the cycle as rows: a trigger, the review flags it raises on risks, and
the review (reassessment or "reviewed, no change") that clears them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow
from riskreg.reviews.models import ReviewKind, RiskReview  # noqa: F401  (their home; re-exported)

if TYPE_CHECKING:
    from riskreg.auth.models import User
    from riskreg.risks.models import Risk
    from riskreg.sites.models import Site


class Worse(LabelledEnum):
    """Which way the value moves when things get worse."""

    HIGHER = "higher"
    LOWER = "lower"


class Status(LabelledEnum):
    NO_DATA = "no_data"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def rank(self) -> int:
        return {"no_data": 0, "green": 0, "amber": 1, "red": 2}[self.value]


class IndicatorDefinition(db.Model):
    """One entry of the library (seeds/indicators.toml), upserted by its code."""

    __tablename__ = "indicator_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(40))
    unit: Mapped[str] = mapped_column(sa.String(24), default="")
    window_days: Mapped[int] = mapped_column(default=90)
    default_amber: Mapped[float]
    default_red: Mapped[float]
    worse: Mapped[Worse] = mapped_column(enum_type(Worse), default=Worse.HIGHER)
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    templates: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    description: Mapped[str] = mapped_column(sa.Text, default="")


class SiteIndicator(db.Model):
    """An indicator at a site: its thresholds (tunable), owner, and the value last computed."""

    __tablename__ = "site_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    definition_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator_definitions.id"), index=True)
    amber: Mapped[float]
    red: Mapped[float]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    value: Mapped[float | None]
    status: Mapped[Status] = mapped_column(enum_type(Status), default=Status.NO_DATA)
    computed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship(lazy="raise")
    definition: Mapped[IndicatorDefinition] = relationship(lazy="raise")
    owner: Mapped[User | None] = relationship(lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("site_id", "definition_id", name="uq_site_indicators_site_definition"),
    )

    @property
    def label(self) -> str:
        return self.definition.label


indicator_links = sa.Table(
    "indicator_links",
    db.metadata,
    sa.Column("site_indicator_id", sa.ForeignKey("site_indicators.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("risk_id", sa.ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Trigger(db.Model):
    """A move of an indicator to amber or red; the reason is in words."""

    __tablename__ = "indicator_triggers"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("site_indicators.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    old_value: Mapped[float | None]
    new_value: Mapped[float | None]
    old_status: Mapped[Status] = mapped_column(enum_type(Status, "old_status"))
    new_status: Mapped[Status] = mapped_column(enum_type(Status, "new_status"))
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    indicator: Mapped[SiteIndicator] = relationship(lazy="raise")

    __table_args__ = (sa.Index("ix_indicator_triggers_indicator_at", "site_indicator_id", "at"),)


class ReviewFlag(db.Model):
    """A request to review a risk, open until a review answers it: raised by an indicator's trigger,
    or by another event with its reason in words: a failed verification of a critical control
    (verification_id) or a severe grievance linked to the risk (grievance_id)."""

    __tablename__ = "review_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(sa.ForeignKey("risks.id"))
    trigger_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator_triggers.id"), index=True)
    verification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verifications.id"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)  # None: the trigger's reason (no complainant in it)
    grievance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grievances.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_reviews.id"))

    trigger: Mapped[Trigger | None] = relationship(lazy="raise")
    grievance = relationship("Grievance", lazy="raise")
    risk: Mapped[Risk] = relationship(lazy="raise")
    review: Mapped[RiskReview | None] = relationship(lazy="raise")

    # Open flags of a risk (review_id IS NULL) are what the register filter and every page ask for.
    __table_args__ = (
        sa.Index("ix_review_flags_risk_review", "risk_id", "review_id"),
        sa.CheckConstraint("trigger_id IS NOT NULL OR reason IS NOT NULL", name="review_flag_reason"),
    )

    @property
    def reason_text(self) -> str:
        """Needs the trigger loaded when the flag has no reason of its own."""
        return self.reason if self.reason is not None else self.trigger.reason
