"""Critical control management (ICMM 2015): a critical control's performance standard (objective and
checks), its verification schedule (how often, by which department, at which sites), the due tasks
planned from it, and the verifications done against the standard: append-only rows, a correction is
a new verification that references the one it corrects."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.controls.models import Effectiveness
from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, today, utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User
    from riskreg.controls.models import Control, ControlEvidence
    from riskreg.departments.models import Department
    from riskreg.sites.models import Site


class Frequency(LabelledEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[self.value]

    @property
    def label(self) -> str:
        return "Every six months" if self is Frequency.HALF_YEARLY else super().label


class Answer(LabelledEnum):
    PASS = "pass"  # noqa: S105  (an answer, not a password)
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


class Result(LabelledEnum):
    PASSED = "passed"
    FAILED = "failed"


class PerformanceStandard(db.Model):
    """What the critical control must achieve, and the checks that show it does."""

    __tablename__ = "performance_standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"), unique=True)
    objective: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    checks: Mapped[list[StandardCheck]] = relationship(
        back_populates="standard", lazy="raise", order_by="StandardCheck.position"
    )

    __mapper_args__ = {"version_id_col": version}


class StandardCheck(db.Model):
    """One question of the standard, the answer expected, and what a failure means.

    A check is retired (`active` False) rather than deleted: old verifications answered it."""

    __tablename__ = "standard_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("performance_standards.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question: Mapped[str] = mapped_column(sa.String(300))
    expected: Mapped[str] = mapped_column(sa.String(300))
    failure_means: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    standard: Mapped[PerformanceStandard] = relationship(back_populates="checks", lazy="raise")


schedule_sites = sa.Table(
    "verification_schedule_sites",
    db.metadata,
    sa.Column(
        "schedule_id", sa.ForeignKey("verification_schedules.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("site_id", sa.ForeignKey("sites.id"), primary_key=True, index=True),
)


class VerificationSchedule(db.Model):
    """How often a critical control is verified, by which department, at which sites (none: all)."""

    __tablename__ = "verification_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"), unique=True)
    frequency: Mapped[Frequency] = mapped_column(enum_type(Frequency))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    starts_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    department: Mapped[Department] = relationship(lazy="raise")
    sites: Mapped[list[Site]] = relationship(secondary=schedule_sites, lazy="raise", order_by="Site.name")

    __mapper_args__ = {"version_id_col": version}


class VerificationTask(db.Model):
    """A verification due by a date, planned from a schedule; done when a verification answers it.
    Overdue is derived from the due date, never stored (as for controls)."""

    __tablename__ = "verification_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("verification_schedules.id"))
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    period_start: Mapped[date]
    due_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]  # set by the verification that answers it (Verification.task_id)

    control: Mapped[Control] = relationship(lazy="raise")
    department: Mapped[Department] = relationship(lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "period_start", name="uq_verification_tasks_schedule_period"),
        sa.Index("ix_verification_tasks_department_open", "department_id", "done_at", "due_on"),
    )

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, on: date | None = None) -> bool:
        return self.done_at is None and self.due_on < (on or today())

    def days_overdue(self, on: date | None = None) -> int:
        on = on or today()
        return (on - self.due_on).days if self.is_overdue(on) else 0

    @property
    def on_time(self) -> bool | None:
        """Done by its due date; None while not done."""
        return None if self.done_at is None else self.done_at.date() <= self.due_on


class Verification(db.Model):
    """A field verification of a critical control against its performance standard. Append-only."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("controls.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verification_tasks.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"))
    performed_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    result: Mapped[Result] = mapped_column(enum_type(Result))
    findings: Mapped[str] = mapped_column(sa.Text, default="")
    immediate_action: Mapped[str] = mapped_column(sa.Text, default="")
    # On a fail, the verifier's rating of the control for its risks (partially effective or not).
    effectiveness: Mapped[Effectiveness | None] = mapped_column(enum_type(Effectiveness))
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("verifications.id"))
    corrective_control_id: Mapped[int | None] = mapped_column(sa.ForeignKey("controls.id"))

    control: Mapped[Control] = relationship(foreign_keys=[control_id], lazy="raise")
    corrective_control: Mapped[Control | None] = relationship(
        foreign_keys=[corrective_control_id], lazy="raise", viewonly=True
    )
    by: Mapped[User | None] = relationship(lazy="raise", viewonly=True)
    site: Mapped[Site | None] = relationship(lazy="raise", viewonly=True)
    answers: Mapped[list[VerificationAnswer]] = relationship(
        back_populates="verification", lazy="raise", order_by="VerificationAnswer.id"
    )
    evidence: Mapped[list[ControlEvidence]] = relationship(
        lazy="raise", viewonly=True, order_by="ControlEvidence.id"
    )

    __table_args__ = (sa.Index("ix_verifications_control_performed", "control_id", "performed_on"),)

    @property
    def failed(self) -> bool:
        return self.result is Result.FAILED


class VerificationAnswer(db.Model):
    __tablename__ = "verification_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(sa.ForeignKey("verifications.id"), index=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("standard_checks.id"))
    answer: Mapped[Answer] = mapped_column(enum_type(Answer))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    verification: Mapped[Verification] = relationship(back_populates="answers", lazy="raise")
    check: Mapped[StandardCheck] = relationship(lazy="raise", viewonly=True)
