"""Rules of critical control management: marking a control critical (with its reason and its
performance standard), the verification schedule, planning due tasks, and recording a verification
(append-only; a failure rates the control for its risks, flags them for review and tells their
owners). Services flush and audit; the view (or the command) commits once."""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.auth.models import User
from riskreg.controls import services as control_services
from riskreg.controls.evidence import StoredFile
from riskreg.controls.models import Control, ControlStatus, Effectiveness, RiskControl
from riskreg.critical.models import (
    Answer,
    Frequency,
    PerformanceStandard,
    Result,
    StandardCheck,
    Verification,
    VerificationAnswer,
    VerificationSchedule,
    VerificationTask,
)
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.indicators.models import ReviewFlag
from riskreg.modeling import today
from riskreg.risks.models import Risk
from riskreg.sites.models import Site

logger = logging.getLogger(__name__)

MAX_CHECKS = 30
FAILED_RATINGS = (Effectiveness.PARTIALLY_EFFECTIVE, Effectiveness.INEFFECTIVE)


class CriticalError(ValueError):
    """The change breaks a rule; `field` names the form field to show it against."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CheckInput:
    question: str
    expected: str
    failure_means: str = ""


@dataclass(frozen=True)
class AnswerInput:
    check_id: int
    answer: Answer | str | None
    note: str = ""


@dataclass(frozen=True)
class CorrectiveInput:
    """A corrective action, created as a new control of the failed control's risks."""

    title: str
    department_id: int | None
    due_date: date | None
    description: str = ""


def _words(value: str | None) -> str:
    return (value or "").strip()


# --- the standard -----------------------------------------------------------------------------------


def standard_of(control: Control) -> PerformanceStandard | None:
    return db.session.scalar(
        sa.select(PerformanceStandard).where(PerformanceStandard.control_id == control.id)
    )


def active_checks(standard: PerformanceStandard) -> list[StandardCheck]:
    return list(
        db.session.scalars(
            sa.select(StandardCheck)
            .where(StandardCheck.standard_id == standard.id, StandardCheck.active.is_(True))
            .order_by(StandardCheck.position, StandardCheck.id)
        )
    )


def _clean_checks(checks: Iterable[CheckInput]) -> list[CheckInput]:
    cleaned = []
    for number, check in enumerate(checks, start=1):
        question, expected = _words(check.question), _words(check.expected)
        failure = _words(check.failure_means)
        if not (question or expected or failure):
            continue  # an empty row of the form
        if not question or not expected:
            raise CriticalError(
                "checks", _l("Check %(number)s: give the question and the answer expected.", number=number)
            )
        if len(question) > 300 or len(expected) > 300:
            raise CriticalError(
                "checks",
                _l("Check %(number)s: keep the question and the answer under 300 characters.", number=number),
            )
        cleaned.append(CheckInput(question, expected, failure))
    if not cleaned:
        raise CriticalError(
            "checks",
            _l("A performance standard needs at least one check: a question with the answer expected."),
        )
    if len(cleaned) > MAX_CHECKS:
        raise CriticalError("checks", _l("Keep the standard to %(count)s checks at most.", count=MAX_CHECKS))
    return cleaned


def set_standard(
    control: Control, objective: str, checks: Sequence[CheckInput], actor: Any
) -> PerformanceStandard:
    """The objective and the checks. Checks no longer listed are retired, never deleted (earlier
    verifications answered them); a check listed again with the same question keeps its id."""
    objective = _words(objective)
    if not objective:
        raise CriticalError(
            "objective", _l("Say what the control must achieve: the objective of its standard.")
        )
    cleaned = _clean_checks(checks)
    standard = standard_of(control)
    before: list[str] = []
    if standard is None:
        standard = PerformanceStandard(control_id=control.id, objective=objective)
        db.session.add(standard)
        db.session.flush()
        old_objective = None
        current: list[StandardCheck] = []
    else:
        old_objective = standard.objective
        current = active_checks(standard)
        before = [c.question for c in current]
        standard.objective = objective
    by_question = {c.question.lower(): c for c in current}
    kept = set()
    for position, check in enumerate(cleaned):
        row = by_question.get(check.question.lower())
        if row is None or row.id in kept:
            row = StandardCheck(standard_id=standard.id, question=check.question)
            db.session.add(row)
        row.position, row.expected, row.failure_means, row.active = (
            position,
            check.expected,
            check.failure_means,
            True,
        )
        db.session.flush()
        kept.add(row.id)
    for row in current:
        if row.id not in kept:
            row.active = False
    db.session.flush()
    changes = audit.diff(
        {"objective": old_objective, "checks": "; ".join(before) or None},
        {"objective": objective, "checks": "; ".join(c.question for c in cleaned)},
    )
    if changes:
        audit.record("control", control.id, "standard", actor, changes)
    return standard


def mark_critical(
    control: Control, reason: str, objective: str, checks: Sequence[CheckInput], actor: Any
) -> None:
    """Critical, with the reason (ICMM: its failure would significantly raise the risk despite the
    other controls) and its performance standard, in one step: never a critical control without one."""
    reason = _words(reason)
    if not reason:
        raise CriticalError(
            "critical_reason",
            _l(
                "Say why the control is critical: how its failure would raise the risk despite the other "
                "controls."
            ),
        )
    if control.status is ControlStatus.CANCELLED:
        raise CriticalError(
            "critical_reason", _l("%(ref)s is cancelled: it cannot be a critical control.", ref=control.ref)
        )
    before = {"critical": control.critical, "critical_reason": control.critical_reason}
    set_standard(control, objective, checks, actor)
    control.critical, control.critical_reason = True, reason
    db.session.flush()
    changes = audit.diff(before, {"critical": True, "critical_reason": reason})
    if changes:
        audit.record("control", control.id, "critical", actor, changes, reason)


def unmark_critical(control: Control, reason: str, actor: Any) -> None:
    reason = _words(reason)
    if not reason:
        raise CriticalError("reason", _l("Say why the control is no longer critical."))
    if not control.critical:
        raise CriticalError("reason", _l("%(ref)s is not a critical control.", ref=control.ref))
    control.critical = False
    schedule = schedule_of(control)
    if schedule is not None:
        schedule.active = False
    db.session.flush()
    audit.record("control", control.id, "not_critical", actor, {"critical": [True, False]}, reason)


# --- the schedule and its tasks ---------------------------------------------------------------------


def schedule_of(control: Control) -> VerificationSchedule | None:
    return db.session.scalar(
        sa.select(VerificationSchedule).where(VerificationSchedule.control_id == control.id)
    )


def set_schedule(
    control: Control,
    frequency: Frequency | str | None,
    department_id: int | None,
    site_ids: Sequence[int],
    starts_on: date | None,
    actor: Any,
) -> VerificationSchedule:
    if not control.critical:
        raise CriticalError(
            "frequency",
            _l("%(ref)s is not critical: mark it critical, with its standard, first.", ref=control.ref),
        )
    try:
        frequency = Frequency(frequency)
    except ValueError:
        raise CriticalError("frequency", _l("Choose how often the control is verified.")) from None
    department = db.session.get(Department, department_id) if department_id is not None else None
    if department is None or not department.active:
        raise CriticalError(
            "department_id",
            _l("Choose the department that verifies the control: a schedule needs a verifier."),
        )
    sites = list(db.session.scalars(sa.select(Site).where(Site.id.in_(list(site_ids))))) if site_ids else []
    if len(sites) != len(set(site_ids)):
        raise CriticalError("site_ids", _l("One of the sites chosen does not exist."))
    schedule = schedule_of(control)
    before = _schedule_view(schedule) if schedule is not None else {}
    if schedule is None:
        schedule = VerificationSchedule(control_id=control.id, starts_on=starts_on or today())
        db.session.add(schedule)
    elif starts_on is not None:
        schedule.starts_on = starts_on
    schedule.frequency, schedule.department_id, schedule.active = frequency, department.id, True
    schedule.sites = sites
    db.session.flush()
    changes = audit.diff(before, _schedule_view(schedule))
    if changes:
        audit.record("control", control.id, "schedule", actor, changes)
    return schedule


def _schedule_view(schedule: VerificationSchedule) -> dict[str, Any]:
    department = db.session.get(Department, schedule.department_id)
    return {
        "frequency": audit.plain(schedule.frequency),
        "verifier": department.name if department else None,
        "sites": ", ".join(s.name for s in schedule.sites) or "all",
        "starts_on": audit.plain(schedule.starts_on),
        "active": schedule.active,
    }


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def periods(schedule: VerificationSchedule, on: date) -> list[tuple[date, date]]:
    """(start, due) of every period begun by `on`: each is due the day before the next begins."""
    found = []
    step = schedule.frequency.months
    index = 0
    while (start := add_months(schedule.starts_on, step * index)) <= on:
        found.append((start, add_months(schedule.starts_on, step * (index + 1)) - timedelta(days=1)))
        index += 1
    return found


def plan(on: date | None = None) -> int:
    """Create the due verification tasks of every active schedule of a critical control up to `on`;
    a second run creates nothing (one task per schedule and period). Returns how many were created."""
    on = on or today()
    schedules = list(
        db.session.scalars(
            sa.select(VerificationSchedule)
            .join(Control, Control.id == VerificationSchedule.control_id)
            .where(VerificationSchedule.active.is_(True), Control.critical == sa.true())
            .order_by(VerificationSchedule.id)
        )
    )
    existing = set(
        db.session.execute(
            sa.select(VerificationTask.schedule_id, VerificationTask.period_start).where(
                VerificationTask.schedule_id.in_([s.id for s in schedules])
            )
        )
    )
    created = 0
    for schedule in schedules:
        for start, due in periods(schedule, on):
            if (schedule.id, start) in existing:
                continue
            db.session.add(
                VerificationTask(
                    schedule_id=schedule.id,
                    control_id=schedule.control_id,
                    department_id=schedule.department_id,
                    period_start=start,
                    due_on=due,
                )
            )
            created += 1
    db.session.flush()
    if created:
        logger.info("planned %s verification tasks up to %s", created, on)
    return created


def open_task(control: Control) -> VerificationTask | None:
    """The oldest task of the control not yet answered."""
    return db.session.scalar(
        sa.select(VerificationTask)
        .where(VerificationTask.control_id == control.id, VerificationTask.done_at.is_(None))
        .order_by(VerificationTask.due_on, VerificationTask.id)
        .limit(1)
    )


def can_verify(user: Any, control: Control) -> bool:
    """Risk managers and admins, and the heads of the department that verifies it (its schedule)."""
    from riskreg.auth.permissions import Permission, has_permission

    if not control.critical:
        return False
    if has_permission(user, Permission.MANAGE_CONTROLS):
        return True
    if not has_permission(user, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS) or user.department_id is None:
        return False
    schedule = schedule_of(control)
    return schedule is not None and schedule.active and schedule.department_id == user.department_id


# --- verifications ----------------------------------------------------------------------------------


def record_verification(
    control: Control,
    answers: Sequence[AnswerInput],
    actor: Any,
    *,
    performed_on: date | None = None,
    findings: str = "",
    immediate_action: str = "",
    effectiveness: Effectiveness | str | None = None,
    site_id: int | None = None,
    files: Sequence[StoredFile] = (),
    corrects: Verification | None = None,
    corrective: CorrectiveInput | None = None,
    at: Any = None,
) -> Verification:
    """One verification against the control's standard: every active check answered, and on any
    fail the immediate action and the verifier's rating. Nothing is written when a rule fails."""
    if not control.critical:
        raise CriticalError(
            "answers",
            _l("%(ref)s is not a critical control: there is no standard to verify.", ref=control.ref),
        )
    standard = standard_of(control)
    if standard is None:
        raise CriticalError(
            "answers", _l("%(ref)s has no performance standard to verify against.", ref=control.ref)
        )
    checks = active_checks(standard)
    given = {}
    for item in answers:
        try:
            given[item.check_id] = (Answer(item.answer), _words(item.note))
        except ValueError:
            continue  # an unanswered or unknown answer counts as missing below
    missing = [c for c in checks if c.id not in given]
    if missing:
        raise CriticalError(
            "answers",
            _l(
                "Answer every check of the standard (%(count)s); %(missing)s not answered: %(questions)s",
                count=len(checks),
                missing=len(missing),
                questions="; ".join(c.question for c in missing[:3]) + ("…" if len(missing) > 3 else ""),
            ),
        )
    if set(given) - {c.id for c in checks}:
        raise CriticalError(
            "answers", _l("An answer is for a check that is not in the standard: reload the form.")
        )
    failed = [c for c in checks if given[c.id][0] is Answer.FAIL]
    findings, immediate_action = _words(findings), _words(immediate_action)
    rating = None
    if failed:
        if not immediate_action:
            raise CriticalError(
                "immediate_action", _l("A check failed: say what was done at once (the immediate action).")
            )
        try:
            rating = Effectiveness(effectiveness) if effectiveness else None
        except ValueError:
            rating = None
        if rating not in FAILED_RATINGS:
            raise CriticalError(
                "effectiveness",
                _l("A check failed: rate the control for its risks, partially effective or ineffective."),
            )
    performed_on = performed_on or today()
    if performed_on > today():
        raise CriticalError(
            "performed_on", _l("A verification cannot be done in the future: give the day it was done.")
        )
    if site_id is not None and db.session.get(Site, site_id) is None:
        raise CriticalError("site_id", _l("That site does not exist."))
    if corrects is not None and corrects.control_id != control.id:
        raise CriticalError("corrects", _l("A correction must be of a verification of the same control."))
    if corrective is not None and not failed:
        raise CriticalError(
            "corrective_title", _l("A corrective action follows a failed check; none failed.")
        )
    task = None if corrects is not None else open_task(control)
    verification = Verification(
        control_id=control.id,
        task_id=task.id if task is not None else (corrects.task_id if corrects is not None else None),
        site_id=site_id,
        performed_on=performed_on,
        by_id=getattr(actor, "id", None),
        result=Result.FAILED if failed else Result.PASSED,
        findings=findings,
        immediate_action=immediate_action,
        effectiveness=rating,
        corrects_id=corrects.id if corrects is not None else None,
    )
    if at is not None:
        verification.recorded_at = at
    db.session.add(verification)
    db.session.flush()
    for check in checks:
        answer, note = given[check.id]
        db.session.add(
            VerificationAnswer(verification_id=verification.id, check_id=check.id, answer=answer, note=note)
        )
    control_services.store_evidence_rows(control, files, actor, verification_id=verification.id)
    if task is not None:
        task.done_at = verification.recorded_at
    corrective_control = None
    if corrective is not None:
        corrective_control = _create_corrective(control, verification, corrective, actor)
        verification.corrective_control_id = corrective_control.id
    db.session.flush()
    summary = {
        # In English whatever the page's language: the audit keeps what happened, not the words shown.
        "verification": [None, f"{verification.result.value.capitalize()} on {performed_on.isoformat()}"],
        "checks_failed": [None, len(failed)] if failed else None,
        "immediate_action": [None, immediate_action] if immediate_action else None,
        "effectiveness_for_risks": [None, rating.value] if rating else None,
        "corrects": [None, f"verification {corrects.id}"] if corrects is not None else None,
        "corrective_control": [None, corrective_control.ref] if corrective_control is not None else None,
        "evidence": [None, ", ".join(f.original_name for f in files)] if files else None,
    }
    audit.record(
        "control", control.id, "field_verification", actor, {k: v for k, v in summary.items() if v}, findings
    )
    if failed:
        _act_on_failure(control, verification, failed, rating, actor)
    return verification


def _create_corrective(
    control: Control, verification: Verification, corrective: CorrectiveInput, actor: Any
) -> Control:
    title = _words(corrective.title)
    if not title:
        raise CriticalError("corrective_title", _l("Give the corrective action a title, or leave it out."))
    risks = list(
        db.session.scalars(
            sa.select(Risk)
            .join(RiskControl, RiskControl.risk_id == Risk.id)
            .where(RiskControl.control_id == control.id)
        )
    )
    description = _words(corrective.description) or (
        f"Corrective action after the failed verification of {control.ref} on "
        f"{verification.performed_on.isoformat()}: {verification.immediate_action}"
    )
    try:
        return control_services.create_control(
            {
                "title": title,
                "description": description,
                "department_id": corrective.department_id,
                "owner_id": None,
                "due_date": corrective.due_date,
                "formalisation_support": False,
            },
            actor,
            risks=[r for r in risks if r.editable],
        )
    except control_services.ControlRuleError as error:
        field = {"department_id": "corrective_department_id", "due_date": "corrective_due_date"}.get(
            error.field, "corrective_title"
        )
        raise CriticalError(field, _l("Corrective action: %(error)s", error=error)) from error


def failure_reason(control: Control, verification: Verification, failed: Sequence[StandardCheck]) -> str:
    checks = "; ".join(c.question for c in failed)
    return (
        f"Critical control {control.ref} {control.title} failed its verification on "
        f"{verification.performed_on.isoformat()} ({checks}). "
        f"Immediate action: {verification.immediate_action}"
    )


_FAILURE = re.compile(
    r"Critical control (\S+) (.*) failed its verification on (\d{4}-\d{2}-\d{2}) \((.*)\)\. "
    r"Immediate action: (.*)",
    re.S,
)


def explain_failure(reason: str | None) -> str:
    """A review flag's reason written by `failure_reason` (stored in English), in the reader's
    language; any other reason is returned as stored."""
    from flask_babel import gettext

    from riskreg.i18n import day

    match = _FAILURE.fullmatch(reason or "")
    if match is None:
        return reason or ""
    ref, title, performed_on, checks, action = match.groups()
    failed = gettext(
        "Critical control %(ref)s %(title)s failed its verification on %(day)s (%(checks)s).",
        ref=ref,
        title=title,
        day=day(date.fromisoformat(performed_on)),
        checks=checks,
    )
    return failed + " " + gettext("Immediate action: %(action)s", action=action)


def _act_on_failure(
    control: Control,
    verification: Verification,
    failed: Sequence[StandardCheck],
    rating: Effectiveness,
    actor: Any,
) -> None:
    """Each risk of the control: rated for it as the verifier said, flagged for review, owner told."""
    links = list(
        db.session.execute(
            sa.select(RiskControl, Risk)
            .join(Risk, Risk.id == RiskControl.risk_id)
            .where(RiskControl.control_id == control.id)
            .order_by(Risk.id)
        )
    )
    reason = failure_reason(control, verification, failed)
    owners: dict[int, list[Risk]] = {}
    for link, risk in links:
        old = link.effectiveness
        link.effectiveness = rating
        db.session.add(ReviewFlag(risk_id=risk.id, verification_id=verification.id, reason=reason))
        audit.record(
            "risk",
            risk.id,
            "control_failed",
            actor,
            {control.ref: [audit.plain(old) or "as the control", rating.value], "review_flags": [None, 1]},
            reason,
        )
        owners.setdefault(risk.owner_id, []).append(risk)
    db.session.flush()
    for owner_id, risks in owners.items():
        _tell_owner(db.session.get(User, owner_id), control, verification, risks, failed)


def _tell_owner(
    owner: User | None,
    control: Control,
    verification: Verification,
    risks: list[Risk],
    failed: Sequence[StandardCheck],
) -> None:
    if owner is None:
        return
    from riskreg import mail  # the one mail module: queued in this transaction, sent after the commit

    refs = ", ".join(r.ref for r in risks)
    mail.notify(
        kind="verification_failed",
        user=owner,
        subject=_l(
            "Critical control %(control)s failed its verification: %(risks)s flagged for review",
            control=control.ref,
            risks=refs,
        ),
        template="critical/email/verification_failed.txt",
        control=control,
        verification=verification,
        risks=risks,
        failed=list(failed),
    )


def answers_of(verification: Verification) -> Mapping[int, VerificationAnswer]:
    return {
        a.check_id: a
        for a in db.session.scalars(
            sa.select(VerificationAnswer).where(VerificationAnswer.verification_id == verification.id)
        )
    }
