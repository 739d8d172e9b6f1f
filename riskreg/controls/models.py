"""Controls (mitigations) owned by departments, with their evidence and progress notes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, today, utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User
    from riskreg.departments.models import Department
    from riskreg.risks.models import Risk
    from riskreg.standards.models import Requirement


class ControlStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    VERIFIED = "verified"
    CANCELLED = "cancelled"


OPEN_CONTROL_STATUSES = (ControlStatus.PLANNED, ControlStatus.IN_PROGRESS)
DONE_CONTROL_STATUSES = (ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED)


class Effectiveness(LabelledEnum):
    NOT_ASSESSED = "not_assessed"
    INEFFECTIVE = "ineffective"
    PARTIALLY_EFFECTIVE = "partially_effective"
    EFFECTIVE = "effective"


class Role(LabelledEnum):
    """Where a control sits on the risk's bowtie: before the event (on a cause) or after it."""

    PREVENTIVE = "preventive"
    MITIGATING = "mitigating"


# The link between a risk and a control: its role on that risk, the cause (preventive) or
# consequence (mitigating) it acts on, and its effectiveness for that risk. NULL role: not yet said
# (links made before roles existed); NULL effectiveness: the control's own effectiveness applies.
risk_controls = sa.Table(
    "risk_controls",
    db.metadata,
    sa.Column("risk_id", sa.ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("control_id", sa.ForeignKey("controls.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("role", enum_type(Role, "risk_control_role"), nullable=True),
    sa.Column("cause_id", sa.ForeignKey("risk_causes.id", ondelete="SET NULL"), nullable=True, index=True),
    sa.Column(
        "consequence_id",
        sa.ForeignKey("risk_consequences.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    sa.Column("effectiveness", enum_type(Effectiveness, "risk_control_effectiveness"), nullable=True),
)

control_requirements = sa.Table(
    "control_requirements",
    db.metadata,
    sa.Column("control_id", sa.ForeignKey("controls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("requirement_id", sa.ForeignKey("requirements.id"), primary_key=True, index=True),
)


class Control(db.Model):
    __tablename__ = "controls"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # "C-0001", set after insert
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_date: Mapped[date | None]
    status: Mapped[ControlStatus] = mapped_column(enum_type(ControlStatus), default=ControlStatus.PLANNED)
    effectiveness: Mapped[Effectiveness] = mapped_column(
        enum_type(Effectiveness), default=Effectiveness.NOT_ASSESSED
    )
    formalisation_support: Mapped[bool] = mapped_column(default=False)
    # Critical control management (ICMM 2015): a control whose failure would significantly raise the
    # risk despite the other controls; the reason is in words (riskreg/critical/).
    critical: Mapped[bool] = mapped_column(default=False)
    critical_reason: Mapped[str] = mapped_column(sa.Text, default="")
    closing_note: Mapped[str] = mapped_column(sa.Text, default="")
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    department: Mapped[Department] = relationship(lazy="raise")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id], lazy="raise", viewonly=True)
    verified_by: Mapped[User | None] = relationship(
        foreign_keys=[verified_by_id], lazy="raise", viewonly=True
    )
    risks: Mapped[list[Risk]] = relationship(secondary=risk_controls, back_populates="controls", lazy="raise")
    requirements: Mapped[list[Requirement]] = relationship(secondary=control_requirements, lazy="raise")
    evidence: Mapped[list[ControlEvidence]] = relationship(
        back_populates="control", lazy="raise", order_by="ControlEvidence.uploaded_at"
    )
    notes: Mapped[list[ControlNote]] = relationship(
        back_populates="control", lazy="raise", order_by="ControlNote.created_at"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Covers the dashboard's tally per department and status, overdue, undated and ownerless
        # ones included (owner_id: without it that count reads all 300,000 rows, 15x slower).
        sa.Index("ix_controls_department_status_due", "department_id", "status", "due_date", "owner_id"),
        sa.Index("ix_controls_status_due", "status", "due_date"),
        sa.Index("ix_controls_status_closed", "status", "closed_at"),  # awaiting verification, oldest first
        sa.Index("ix_controls_owner_status_due", "owner_id", "status", "due_date"),  # my overdue controls
        sa.Index("ix_controls_critical_ref", "critical", "ref"),  # /controls/critical, the dashboard panel
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CONTROL_STATUSES

    # "Overdue" and "due soon" are derived from the due date, never stored. Each is defined once for
    # both sides: `control.is_overdue(on)` on a loaded control (views, templates, mails) and
    # `Control.is_overdue(on)` as SQL (filters, counts, exports), so the two cannot drift apart.
    @hybrid_method
    def is_overdue(self, on: date | None = None) -> bool:
        """Planned or in progress, and its due date has passed."""
        return self.is_open and self.due_date is not None and self.due_date < (on or today())

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_sql(cls, on: date | None = None) -> sa.ColumnElement[bool]:
        # `on` may be a bind parameter (a statement built once), which has no truth value
        return sa.and_(cls.status.in_(OPEN_CONTROL_STATUSES), cls.due_date < (today() if on is None else on))

    @hybrid_method
    def is_due_within(self, on: date, days: int) -> bool:
        """Planned or in progress and due from `on` to `on` + days (overdue ones are not in it)."""
        return self.is_open and self.due_date is not None and on <= self.due_date <= on + timedelta(days)

    @is_due_within.inplace.expression
    @classmethod
    def _is_due_within_sql(cls, on: date, days: int) -> sa.ColumnElement[bool]:
        return sa.and_(
            cls.status.in_(OPEN_CONTROL_STATUSES),
            cls.due_date >= on,
            cls.due_date <= on + timedelta(days=days),
        )

    def days_overdue(self, on: date | None = None) -> int:
        """Whole days past the due date; 0 when the control is not overdue."""
        on = on or today()
        return (on - self.due_date).days if self.is_overdue(on) and self.due_date else 0

    def __repr__(self) -> str:
        return f"<Control {self.ref or self.id} {self.title!r}>"


class RiskControl(db.Model):
    """The risk-control link read and written as a row (the `risks`/`controls` collections stay)."""

    __table__ = risk_controls

    risk: Mapped[Risk] = relationship(lazy="raise", viewonly=True)
    control: Mapped[Control] = relationship(lazy="raise", viewonly=True)

    @property
    def effective(self) -> Effectiveness:
        """For this risk: its own rating when one was given, else the control's."""
        return self.effectiveness or self.control.effectiveness


class ControlEvidence(db.Model):
    __tablename__ = "control_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)  # random; never the user's name
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Evidence attached to a verification of a critical control (riskreg/critical/); None otherwise.
    verification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verifications.id"), index=True)

    control: Mapped[Control] = relationship(back_populates="evidence", lazy="raise")
    uploaded_by: Mapped[User | None] = relationship(lazy="raise", viewonly=True)


class NoteKind(LabelledEnum):
    PROGRESS = "progress"
    CLOSING = "closing"
    VERIFICATION = "verification"
    REOPENED = "reopened"


class ControlNote(db.Model):
    __tablename__ = "control_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"), index=True)
    kind: Mapped[NoteKind] = mapped_column(enum_type(NoteKind), default=NoteKind.PROGRESS)
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    control: Mapped[Control] = relationship(back_populates="notes", lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")


class ReminderDigest(db.Model):
    """One digest mailed to one department head on one day: a second run that day sends nothing."""

    __tablename__ = "reminder_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    sent_on: Mapped[date]
    control_count: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "sent_on", name="uq_reminder_digests_user_day"),)
