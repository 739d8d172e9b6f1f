"""Stakeholders of a site (groups and organisations, OECD Annex E) and the engagement plans per year."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow
from riskreg.sites.models import OecdLegitimacy

if TYPE_CHECKING:
    from riskreg.sites.models import Site


class StakeholderType(LabelledEnum):
    ASM_MINERS = "asm_miners"
    COOPERATIVE = "cooperative"
    PIT_OWNERS = "pit_owners"
    TRADERS = "traders"
    PROCESSING_CENTRES = "processing_centres"
    LANDOWNERS = "landowners"
    TRADITIONAL_AUTHORITY = "traditional_authority"
    LOCAL_GOVERNMENT = "local_government"
    ASM_AUTHORITY = "asm_authority"
    SECURITY_FORCES = "security_forces"
    CIVIL_SOCIETY = "civil_society"
    WOMEN_GROUPS = "women_groups"
    COMMUNITY = "community"
    OTHER = "other"

    @property
    def label(self) -> str:
        if self.value == "asm_miners":
            return "ASM miners"
        if self.value == "cooperative":
            return "Cooperative or association"
        if self.value == "traders":
            return "Traders and buyers"
        if self.value == "asm_authority":
            return "ASM / mining authority"
        if self.value == "women_groups":
            return "Women's groups"
        return super().label

    @property
    def is_asm(self) -> bool:
        return self in ASM_TYPES


ASM_TYPES = frozenset(
    {
        StakeholderType.ASM_MINERS,
        StakeholderType.COOPERATIVE,
        StakeholderType.PIT_OWNERS,
        StakeholderType.TRADERS,
        StakeholderType.PROCESSING_CENTRES,
        StakeholderType.ASM_AUTHORITY,
    }
)
LEVELS = (1, 2, 3, 4, 5)  # influence and interest (or how affected): 1 very low .. 5 very high
HIGH = 4  # influence and interest both at least this: a high-priority stakeholder


class Stakeholder(db.Model):
    __tablename__ = "stakeholders"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[StakeholderType] = mapped_column(enum_type(StakeholderType))
    # None: not assessed (no grid position until someone judges it)
    influence: Mapped[int | None]
    interest: Mapped[int | None]
    oecd_legitimacy: Mapped[OecdLegitimacy] = mapped_column(
        enum_type(OecdLegitimacy, "stakeholder_legitimacy"), default=OecdLegitimacy.NOT_ASSESSED
    )
    languages: Mapped[str] = mapped_column(sa.String(200), default="")
    preferred_channel: Mapped[str] = mapped_column(sa.String(120), default="")
    consent_noted: Mapped[bool] = mapped_column(default=False)
    contact_person: Mapped[str] = mapped_column(sa.String(200), default="")  # only with consent
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)  # False: retired (kept on old records)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # edits check it (editing.py)

    site: Mapped[Site] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_stakeholders_site", "site_id", "name"),
        sa.CheckConstraint(
            "influence IS NULL OR (influence >= 1 AND influence <= 5)", name="influence_range"
        ),
        sa.CheckConstraint("interest IS NULL OR (interest >= 1 AND interest <= 5)", name="interest_range"),
        sa.CheckConstraint("consent_noted OR contact_person = ''", name="contact_needs_consent"),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def high_priority(self) -> bool:
        return (self.influence or 0) >= HIGH and (self.interest or 0) >= HIGH


plan_risks = sa.Table(
    "engagement_plan_risks",
    db.metadata,
    sa.Column("plan_id", sa.ForeignKey("engagement_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("risk_id", sa.ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True, index=True),
)
plan_requirements = sa.Table(
    "engagement_plan_requirements",
    db.metadata,
    sa.Column("plan_id", sa.ForeignKey("engagement_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "requirement_id", sa.ForeignKey("requirements.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class EngagementPlan(db.Model):
    """Planned engagements with one stakeholder at a site in one year."""

    __tablename__ = "engagement_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    year: Mapped[int]
    stakeholder_id: Mapped[int] = mapped_column(sa.ForeignKey("stakeholders.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    planned_count: Mapped[int]  # engagements planned in the year
    frequency: Mapped[str] = mapped_column(sa.String(120), default="")  # "quarterly", "March and October"
    channel: Mapped[str] = mapped_column(sa.String(120), default="")
    owner_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # False: retired
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # edits check it (editing.py)

    stakeholder: Mapped[Stakeholder] = relationship(lazy="raise")
    owner_department = relationship("Department", lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("stakeholder_id", "year", name="uq_engagement_plans_stakeholder_year"),
        sa.Index("ix_engagement_plans_site_year", "site_id", "year"),
        sa.CheckConstraint("planned_count >= 0", name="planned_nonnegative"),
    )
    __mapper_args__ = {"version_id_col": version}
