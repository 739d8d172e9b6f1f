"""Read side of critical control management: the /controls/critical rows, the dashboard counts, a
department's due verifications (My controls, My work), and one control's standard and history.
Query counts do not grow with the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg import reads
from riskreg.controls.models import Control
from riskreg.critical.models import (
    PerformanceStandard,
    Result,
    StandardCheck,
    Verification,
    VerificationAnswer,
    VerificationSchedule,
    VerificationTask,
)
from riskreg.extensions import db
from riskreg.modeling import today

YEAR = timedelta(days=365)


@dataclass
class CriticalRow:
    control: Control
    schedule: VerificationSchedule | None
    last: Verification | None
    due_12m: int = 0  # tasks due in the last 12 months
    on_time_12m: int = 0  # of them, done by their due date
    overdue: int = 0  # open tasks past their due date
    open_actions: int = 0  # failed verifications since the last one that passed

    @property
    def compliance(self) -> int | None:
        """% of the verifications due over 12 months that were done on time; None when none was due."""
        return round(100 * self.on_time_12m / self.due_12m) if self.due_12m else None

    @property
    def state(self) -> str:
        """One word for the dashboard: failed, overdue, on_time, or not_verified."""
        return state(self.last.result if self.last is not None else None, bool(self.overdue))


def state(last_result: Result | None, overdue: bool) -> str:
    """A critical control's state from its last verification's result (None: never verified) and
    whether a verification of it is past due: a failure first, then lateness."""
    if last_result is Result.FAILED:
        return "failed"
    if overdue:
        return "overdue"
    if last_result is not None:
        return "on_time"
    return "not_verified"


def _latest_ids(control_ids: list[int]) -> dict[int, int]:
    """The latest verification of each control (latest recorded: a correction supersedes)."""
    if not control_ids:
        return {}
    ranked = (
        sa.select(
            Verification.id,
            Verification.control_id,
            sa.func.row_number()
            .over(
                partition_by=Verification.control_id,
                order_by=(Verification.recorded_at.desc(), Verification.id.desc()),
            )
            .label("n"),
        )
        .where(Verification.control_id.in_(control_ids))
        .subquery()
    )
    return dict(db.session.execute(sa.select(ranked.c.control_id, ranked.c.id).where(ranked.c.n == 1)).all())


def critical_rows(
    on: date | None = None, department_id: int | None = None, with_links: bool = True
) -> list[CriticalRow]:
    """Every critical control with its last verification, 12-month compliance and open immediate
    actions (five queries whatever the count); with_links, its department and risks loaded too (the
    page lists them; the dashboard's counts need only each control's state)."""
    on = on or today()
    stmt = sa.select(Control).where(Control.critical == sa.true()).order_by(Control.ref)
    if with_links:
        stmt = stmt.options(selectinload(Control.department), selectinload(Control.risks))
    if department_id is not None:
        stmt = stmt.where(Control.department_id == department_id)
    controls = list(db.session.scalars(stmt))
    ids = [c.id for c in controls]
    schedules = {
        s.control_id: s
        for s in db.session.scalars(
            sa.select(VerificationSchedule)
            .where(VerificationSchedule.control_id.in_(ids))
            .options(selectinload(VerificationSchedule.department), selectinload(VerificationSchedule.sites))
        )
    }
    latest = _latest_ids(ids)
    last = {
        v.control_id: v
        for v in db.session.scalars(
            sa.select(Verification)
            .where(Verification.id.in_(list(latest.values())))
            .options(selectinload(Verification.by))
        )
    }
    rows = {c.id: CriticalRow(c, schedules.get(c.id), last.get(c.id)) for c in controls}
    due_window = sa.and_(VerificationTask.due_on <= on, VerificationTask.due_on > on - YEAR)
    on_time = sa.and_(
        due_window,
        VerificationTask.done_at.is_not(None),
        sa.func.date(VerificationTask.done_at) <= VerificationTask.due_on,
    )
    overdue = sa.and_(VerificationTask.done_at.is_(None), VerificationTask.due_on < on)
    for control_id, due, done, late in db.session.execute(
        sa.select(
            VerificationTask.control_id,
            sa.func.count().filter(due_window),
            sa.func.count().filter(on_time),
            sa.func.count().filter(overdue),
        )
        .where(VerificationTask.control_id.in_(ids))
        .group_by(VerificationTask.control_id)
    ):
        rows[control_id].due_12m, rows[control_id].on_time_12m, rows[control_id].overdue = due, done, late
    # Failed verifications recorded after the control's last pass: their immediate actions stand open.
    last_pass = (
        sa.select(Verification.control_id, sa.func.max(Verification.recorded_at).label("at"))
        .where(Verification.result == Result.PASSED, Verification.control_id.in_(ids))
        .group_by(Verification.control_id)
        .subquery()
    )
    for control_id, count in db.session.execute(
        sa.select(Verification.control_id, sa.func.count())
        .outerjoin(last_pass, last_pass.c.control_id == Verification.control_id)
        .where(
            Verification.control_id.in_(ids),
            Verification.result == Result.FAILED,
            sa.or_(last_pass.c.at.is_(None), Verification.recorded_at > last_pass.c.at),
        )
        .group_by(Verification.control_id)
    ):
        rows[control_id].open_actions = count
    return list(rows.values())


@dataclass
class CriticalCounts:
    on_time: int = 0
    failed: int = 0
    overdue: int = 0
    not_verified: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.failed + self.overdue + self.not_verified


def dashboard_counts_of(rows: list[CriticalRow]) -> CriticalCounts:
    counts = CriticalCounts()
    for row in rows:
        setattr(counts, row.state, getattr(counts, row.state) + 1)
    return counts


def _last_result() -> sa.ScalarSelect:
    """The result of the latest verification of the control of the enclosing statement (None when
    it was never verified): the latest as _latest_ids says, by record time, then id."""
    return (
        sa.select(Verification.result)
        .where(Verification.control_id == Control.id)
        .order_by(Verification.recorded_at.desc(), Verification.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def dashboard_counts(on: date | None = None) -> CriticalCounts:
    """The dashboard's counts in one statement: per critical control only what its state needs (its
    last verification's result, whether a task is past due), grouped in the database."""
    counts = CriticalCounts()
    for result, overdue, count in reads.rows(_counts_statement(), {"on": on or today()}):
        name = state(result, bool(overdue))
        setattr(counts, name, getattr(counts, name) + count)
    return counts


@cache
def _counts_statement() -> sa.Select:
    """Built once, the day bound as `on`."""
    late = (
        sa.select(VerificationTask.id)
        .where(
            VerificationTask.control_id == Control.id,
            VerificationTask.done_at.is_(None),
            VerificationTask.due_on < sa.bindparam("on", type_=sa.Date),
        )
        .exists()
    )
    states = (
        sa.select(_last_result().label("result"), late.label("late"))
        .where(Control.critical == sa.true())
        .subquery()
    )
    return sa.select(states.c.result, states.c.late, sa.func.count()).group_by(states.c.result, states.c.late)


@dataclass
class DueVerifications:
    tasks: list[VerificationTask] = field(default_factory=list)
    total: int = 0
    overdue: int = 0


@cache
def _due_counts() -> sa.Select:
    """Built once, run with bind parameters (a department head's every page of controls and My work)."""
    late = VerificationTask.due_on < sa.bindparam("on", type_=sa.Date)
    return sa.select(sa.func.count(), sa.func.count().filter(late)).where(
        VerificationTask.department_id == sa.bindparam("department_id"), VerificationTask.done_at.is_(None)
    )


def department_due(department_id: int, on: date | None = None, limit: int = 20) -> DueVerifications:
    """A verifying department's open tasks, overdue first (two queries; one when there are none)."""
    on = on or today()
    params = {"department_id": department_id, "on": on}
    total, overdue = db.session.execute(_due_counts(), params).one()
    if not total:
        return DueVerifications([], 0, 0)
    where = (VerificationTask.department_id == department_id, VerificationTask.done_at.is_(None))
    tasks = list(
        db.session.scalars(
            sa.select(VerificationTask)
            .where(*where)
            .order_by(VerificationTask.due_on, VerificationTask.id)
            .limit(limit)
            .options(selectinload(VerificationTask.control))
        )
    )
    return DueVerifications(tasks, total, overdue)


@dataclass
class ControlCritical:
    standard: PerformanceStandard | None
    checks: list[StandardCheck]
    schedule: VerificationSchedule | None
    verifications: list[Verification]
    tasks: list[VerificationTask]


def control_critical(control: Control, limit: int = 24) -> ControlCritical:
    """One control's standard with its active checks, schedule, latest verifications and tasks."""
    standard = db.session.scalar(
        sa.select(PerformanceStandard).where(PerformanceStandard.control_id == control.id)
    )
    checks: list[Any] = []
    if standard is not None:
        checks = list(
            db.session.scalars(
                sa.select(StandardCheck)
                .where(StandardCheck.standard_id == standard.id, StandardCheck.active.is_(True))
                .order_by(StandardCheck.position, StandardCheck.id)
            )
        )
    schedule = db.session.scalar(
        sa.select(VerificationSchedule)
        .where(VerificationSchedule.control_id == control.id)
        .options(selectinload(VerificationSchedule.department), selectinload(VerificationSchedule.sites))
    )
    verifications = list(
        db.session.scalars(
            sa.select(Verification)
            .where(Verification.control_id == control.id)
            .order_by(Verification.recorded_at.desc(), Verification.id.desc())
            .limit(limit)
            .options(
                selectinload(Verification.by),
                selectinload(Verification.site),
                selectinload(Verification.answers).selectinload(VerificationAnswer.check),
                selectinload(Verification.evidence),
                selectinload(Verification.corrective_control),
            )
        )
    )
    tasks = list(
        db.session.scalars(
            sa.select(VerificationTask)
            .where(VerificationTask.control_id == control.id)
            .order_by(VerificationTask.due_on.desc())
            .limit(limit)
        )
    )
    return ControlCritical(standard, checks, schedule, verifications, tasks)


def last_failed(control_ids: list[int]) -> set[int]:
    """Which of these controls' latest verification failed (for the bowtie's marks): one statement,
    built once."""
    if not control_ids:
        return set()
    return set(db.session.scalars(_last_failed_statement(), {"ids": control_ids}))


@cache
def _last_failed_statement() -> sa.Select:
    return sa.select(Control.id).where(
        Control.id.in_(sa.bindparam("ids", expanding=True)), _last_result() == Result.FAILED
    )


def my_verifications(user: Any, on: date):
    """My work: the critical controls my department verifies that are due (heads of the verifying
    department), overdue first; two queries."""
    from flask import url_for
    from flask_babel import gettext, ngettext

    from riskreg.auth.models import Role
    from riskreg.i18n import day
    from riskreg.me.sections import Item, Section

    if user.role is not Role.DEPARTMENT_HEAD or user.department_id is None:
        return None
    due = department_due(user.department_id, on)
    items = [
        Item(
            f"{task.control.ref} {task.control.title}",
            url_for("critical.verify", control_id=task.control_id),
            ngettext("%(num)d day overdue", "%(num)d days overdue", task.days_overdue(on))
            if task.is_overdue(on)
            else gettext("due %(date)s", date=day(task.due_on)),
            gettext("Verify"),
            urgent=task.is_overdue(on),
        )
        for task in due.tasks
    ]
    return Section("verifications", _l("Verifications due"), items, due.total, url_for("controls.mine"))
