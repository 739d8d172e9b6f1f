"""Grievances, each step of their life as a dated row, and the complainant kept apart (confidential)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from riskreg.departments.models import Department
    from riskreg.sites.models import Site
    from riskreg.stakeholders.models import Stakeholder


class GrievanceChannel(LabelledEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    HOTLINE = "hotline"
    LETTER = "letter"
    LIAISON = "liaison"
    ENGAGEMENT = "engagement"
    OTHER = "other"

    @property
    def label(self) -> str:
        if self.value == "liaison":
            return "Through a liaison"
        if self.value == "engagement":
            return "At an engagement"
        return super().label


class GrievanceCategory(LabelledEnum):
    LAND = "land"
    ENVIRONMENT = "environment"
    WATER = "water"
    SECURITY_CONDUCT = "security_conduct"
    HUMAN_RIGHTS = "human_rights"
    LIVELIHOODS = "livelihoods"
    COMPENSATION = "compensation"
    HEALTH_SAFETY = "health_safety"
    EMPLOYMENT = "employment"
    OTHER = "other"

    @property
    def label(self) -> str:
        if self.value == "health_safety":
            return "Health and safety"
        return super().label


class GrievanceStatus(LabelledEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    UNDER_INVESTIGATION = "under_investigation"
    RESPONSE_PROPOSED = "response_proposed"
    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"
    APPEAL = "appeal"
    CLOSED = "closed"


# The life of a grievance: the steps that may follow each one (anything else is out of order).
NEXT_STEPS: dict[GrievanceStatus, tuple[GrievanceStatus, ...]] = {
    GrievanceStatus.RECEIVED: (GrievanceStatus.ACKNOWLEDGED,),
    GrievanceStatus.ACKNOWLEDGED: (GrievanceStatus.UNDER_INVESTIGATION,),
    GrievanceStatus.UNDER_INVESTIGATION: (GrievanceStatus.RESPONSE_PROPOSED,),
    GrievanceStatus.RESPONSE_PROPOSED: (GrievanceStatus.RESOLVED, GrievanceStatus.NOT_RESOLVED),
    GrievanceStatus.RESOLVED: (GrievanceStatus.APPEAL, GrievanceStatus.CLOSED),
    GrievanceStatus.NOT_RESOLVED: (GrievanceStatus.APPEAL, GrievanceStatus.CLOSED),
    GrievanceStatus.APPEAL: (GrievanceStatus.CLOSED,),
    GrievanceStatus.CLOSED: (),
}
# The grievance's column holding the date each step was taken.
STEP_DATE: dict[GrievanceStatus, str] = {
    GrievanceStatus.RECEIVED: "received_on",
    GrievanceStatus.ACKNOWLEDGED: "acknowledged_on",
    GrievanceStatus.UNDER_INVESTIGATION: "investigation_on",
    GrievanceStatus.RESPONSE_PROPOSED: "response_on",
    GrievanceStatus.RESOLVED: "resolved_on",
    GrievanceStatus.NOT_RESOLVED: "resolved_on",
    GrievanceStatus.APPEAL: "appeal_on",
    GrievanceStatus.CLOSED: "closed_on",
}


grievance_risks = sa.Table(
    "grievance_risks",
    db.metadata,
    sa.Column("grievance_id", sa.ForeignKey("grievances.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("risk_id", sa.ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True, index=True),
)
grievance_controls = sa.Table(
    "grievance_controls",
    db.metadata,
    sa.Column("grievance_id", sa.ForeignKey("grievances.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("control_id", sa.ForeignKey("controls.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Grievance(db.Model):
    """What everyone may see of a grievance; who raised it lives in GrievanceComplainant."""

    __tablename__ = "grievances"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # "G-0001", set after insert
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    stakeholder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stakeholders.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    received_on: Mapped[date]
    channel: Mapped[GrievanceChannel] = mapped_column(enum_type(GrievanceChannel))
    category: Mapped[GrievanceCategory] = mapped_column(enum_type(GrievanceCategory))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    severity: Mapped[int | None]  # the matrix's consequence level to people; None: not assessed
    human_rights_impact: Mapped[bool] = mapped_column(default=False)
    owner_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    status: Mapped[GrievanceStatus] = mapped_column(
        enum_type(GrievanceStatus), default=GrievanceStatus.RECEIVED, index=True
    )
    acknowledged_on: Mapped[date | None]
    investigation_on: Mapped[date | None]
    response_on: Mapped[date | None]
    resolved_on: Mapped[date | None]  # resolved or not resolved
    appeal_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    response: Mapped[str] = mapped_column(sa.Text, default="")
    accepted: Mapped[bool | None]  # did the complainant accept the response; None: not known yet
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)  # edits check it (riskreg/editing.py)

    site: Mapped[Site] = relationship(lazy="raise")
    stakeholder: Mapped[Stakeholder | None] = relationship(lazy="raise")
    owner_department: Mapped[Department | None] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_grievances_site_received", "site_id", "received_on"),
        sa.CheckConstraint("severity IS NULL OR (severity >= 1 AND severity <= 5)", name="severity_range"),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def review_reason(self) -> str:
        """Why a linked risk is flagged for review (no word of who complained). Stored on the flag:
        English, not translated."""
        parts = [self.category.english_label.lower()]
        if self.severity is not None:
            parts.append(f"severity {self.severity}")
        if self.human_rights_impact:
            parts.append("alleging a human-rights impact")
        return f"Grievance {self.ref} ({', '.join(parts)})"

    @property
    def open(self) -> bool:
        return self.status is not GrievanceStatus.CLOSED


class GrievanceStep(db.Model):
    """One step of a grievance's life: who took it, when, on which date, why."""

    __tablename__ = "grievance_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True)
    step: Mapped[GrievanceStatus] = mapped_column(enum_type(GrievanceStatus, "grievance_step"))
    on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by = relationship("User", lazy="raise")


class GrievanceComplainant(db.Model):
    """Who raised a grievance and how to reach them: seen only by grievance officers and admins; its
    audit events (entity "grievance_complainant") are shown only to them, and every view is audited."""

    __tablename__ = "grievance_complainants"

    grievance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    contact: Mapped[str] = mapped_column(sa.String(300), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
