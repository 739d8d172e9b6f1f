"""Acceptance rules: request, approve or reject, void on a score increase, warn and expire.

Treatment *Accept* is set here only (risks/services.check_treatment refuses it elsewhere), and a risk
counts as accepted only while an approved acceptance is active. Each change is audited on the risk
(its History shows the acceptance's life), flushed, never committed; mails are queued in the same
transaction and sent after the caller's commit.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from riskreg import audit, scoring
from riskreg.acceptances.models import OPEN_STATES, Acceptance, AcceptanceState
from riskreg.auth.models import Role, User
from riskreg.extensions import db
from riskreg.modeling import today, utcnow
from riskreg.risks.models import Risk, RiskStatus, Treatment

logger = logging.getLogger(__name__)

MAX_TEXT = 5_000
# Who holds each authority a band can ask for (seeds/matrix.toml `acceptance_approver`). Admins run
# the register (a risk manager's authority); a risk the matrix sends to executives is theirs alone.
AUTHORITY: dict[str, frozenset[Role]] = {
    "risk_manager": frozenset({Role.RISK_MANAGER, Role.ADMIN, Role.EXECUTIVE}),
    "executive": frozenset({Role.EXECUTIVE}),
}
AUTHORITY_LABELS = {"risk_manager": "a risk manager or an executive", "executive": "an executive"}


class AcceptanceError(ValueError):
    """The request or decision breaks a rule; `field` names the form field to show it against."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def max_months() -> int:
    return int(current_app.config["ACCEPTANCE_MAX_MONTHS"])


def latest_expiry(on: date) -> date:
    return add_months(on, max_months())


def required_authority(risk: Risk) -> str:
    return risk.residual_band.acceptance_approver


def may_approve(user: Any, risk: Risk) -> bool:
    """Has the authority the risk's residual band asks of an approver."""
    return bool(
        user is not None
        and getattr(user, "active", False)
        and user.role in AUTHORITY[required_authority(risk)]
    )


def approver_choices(risk: Risk, requester: Any = None) -> list[User]:
    """Active users with the band's authority, the requester left out."""
    roles = AUTHORITY[required_authority(risk)]
    stmt = sa.select(User).where(User.active.is_(True), User.role.in_(list(roles))).order_by(User.name)
    if requester is not None:
        stmt = stmt.where(User.id != requester.id)
    return list(db.session.scalars(stmt))


def current(risk_id: int) -> Acceptance | None:
    """The risk's latest acceptance (pending, active or ended), or None."""
    return db.session.scalar(
        sa.select(Acceptance).where(Acceptance.risk_id == risk_id).order_by(Acceptance.id.desc()).limit(1)
    )


def _open_of(risk_id: int, state: AcceptanceState) -> Acceptance | None:
    return db.session.scalar(
        sa.select(Acceptance)
        .where(Acceptance.risk_id == risk_id, Acceptance.state == state)
        .order_by(Acceptance.id.desc())
        .limit(1)
    )


def _record(
    risk: Risk, action: str, actor: Any, acceptance: Acceptance, changes: dict, note: str = ""
) -> None:
    audit.record("risk", risk.id, action, actor, {"acceptance": [None, f"#{acceptance.id}"], **changes}, note)


def request_acceptance(risk: Risk, data: Mapping[str, Any], actor: Any) -> Acceptance:
    """Ask `approver_id` to accept the risk as it is until `expires_on`, for the `justification`
    given. Sets the treatment to Accept; the risk is *acceptance pending* until a decision."""
    if not risk.editable or risk.status not in (RiskStatus.OPEN, RiskStatus.DRAFT):
        raise AcceptanceError(
            "justification", f"{risk.ref} is {risk.status.label.lower()}: only open risks are accepted."
        )
    if _open_of(risk.id, AcceptanceState.PENDING) is not None:
        raise AcceptanceError(
            "justification", f"{risk.ref} already has an acceptance request waiting for a decision."
        )
    justification = (data.get("justification") or "").strip()
    if not justification:
        raise AcceptanceError("justification", "Say why the risk is accepted as it is (the justification).")
    if len(justification) > MAX_TEXT:
        raise AcceptanceError("justification", f"Keep the justification under {MAX_TEXT} characters.")
    expires_on = check_expiry(data.get("expires_on"), today())
    approver = _approver(risk, data.get("approver_id"), actor)
    band = risk.residual_band
    acceptance = Acceptance(
        risk_id=risk.id,
        state=AcceptanceState.PENDING,
        justification=justification,
        residual_score=risk.residual_score,
        residual_band=band.key,
        expires_on=expires_on,
        approver_id=approver.id,
        requested_by_id=getattr(actor, "id", None),
        previous_treatment=risk.treatment.value,
    )
    db.session.add(acceptance)
    changes: dict[str, list[Any]] = {}
    if risk.treatment is not Treatment.ACCEPT:
        changes["treatment"] = [risk.treatment.value, Treatment.ACCEPT.value]
        risk.treatment = Treatment.ACCEPT
    db.session.flush()
    changes |= {
        "acceptance_state": [None, AcceptanceState.PENDING.value],
        "residual_score": [None, acceptance.residual_score],
        "residual_band": [None, band.label],
        "expires_on": [None, expires_on.isoformat()],
        "approver": [None, approver.name],
    }
    _record(risk, "acceptance_requested", actor, acceptance, changes, justification)
    _notify(
        "acceptance_requested",
        approver,
        f"Approval asked: accept {risk.ref} {risk.title}",
        "acceptances/email/requested.txt",
        acceptance=acceptance,
        risk=risk,
        requester=actor,
        band=band,
    )
    return acceptance


def check_expiry(value: Any, on: date) -> date:
    if not isinstance(value, date):
        raise AcceptanceError("expires_on", "Give the date the acceptance expires.")
    if value <= on:
        raise AcceptanceError("expires_on", f"The expiry date must lie ahead: after {on.isoformat()}.")
    limit = latest_expiry(on)
    if value > limit:
        raise AcceptanceError(
            "expires_on",
            f"An acceptance lasts at most {max_months()} months: choose a date up to {limit.isoformat()}.",
        )
    return value


def _approver(risk: Risk, approver_id: Any, actor: Any) -> User:
    approver = db.session.get(User, approver_id) if isinstance(approver_id, int) else None
    if approver is None or not approver.active:
        raise AcceptanceError("approver_id", "Choose the approver from the list.")
    if approver.id == getattr(actor, "id", None):
        raise AcceptanceError(
            "approver_id", "Someone else must approve your request: choose another approver."
        )
    if not may_approve(approver, risk):
        band = risk.residual_band
        raise AcceptanceError(
            "approver_id",
            f"{approver.name} cannot approve it: {_a(band.label)} risk is accepted by "
            f"{AUTHORITY_LABELS[band.acceptance_approver]}.",
        )
    return approver


def decide(acceptance: Acceptance, approve: bool, note: str, actor: Any) -> None:
    """The approver's decision. Anyone with the band's authority may decide except the requester;
    the approver named in the request is the one asked. Rejecting needs a note."""
    risk = db.session.get(Risk, acceptance.risk_id)
    if acceptance.state is not AcceptanceState.PENDING:
        raise AcceptanceError(
            "note", f"This request is {acceptance.state.value}: there is nothing to decide."
        )
    if getattr(actor, "id", None) == acceptance.requested_by_id:
        raise AcceptanceError("note", "You asked for this acceptance: someone else must decide it.")
    if not may_approve(actor, risk):
        band = risk.residual_band
        raise AcceptanceError(
            "note",
            f"{_a(band.label, capital=True)} risk is accepted by "
            f"{AUTHORITY_LABELS[band.acceptance_approver]}.",
        )
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise AcceptanceError("note", f"Keep the note under {MAX_TEXT} characters.")
    if not approve and not note:
        raise AcceptanceError("note", "Say in a note why the acceptance is rejected.")
    on = today()
    if approve and acceptance.expires_on <= on:
        raise AcceptanceError(
            "note", "The requested expiry date has passed: the risk must be asked for again."
        )
    old = acceptance.state
    acceptance.state = AcceptanceState.ACTIVE if approve else AcceptanceState.REJECTED
    acceptance.decided_by_id = actor.id
    acceptance.decided_at = utcnow()
    acceptance.decision_note = note
    changes: dict[str, list[Any]] = {"acceptance_state": [old.value, acceptance.state.value]}
    if approve:
        for earlier in db.session.scalars(
            sa.select(Acceptance).where(
                Acceptance.risk_id == risk.id,
                Acceptance.state == AcceptanceState.ACTIVE,
                Acceptance.id != acceptance.id,
            )
        ):
            _end(earlier, AcceptanceState.SUPERSEDED, f"Replaced by acceptance #{acceptance.id}.")
            changes["superseded"] = [None, f"#{earlier.id}"]
    elif (
        acceptance.previous_treatment
        and acceptance.previous_treatment != Treatment.ACCEPT.value
        and risk.treatment is Treatment.ACCEPT
    ):
        changes["treatment"] = [Treatment.ACCEPT.value, acceptance.previous_treatment]
        risk.treatment = Treatment(acceptance.previous_treatment)
    db.session.flush()
    action = "acceptance_approved" if approve else "acceptance_rejected"
    _record(risk, action, actor, acceptance, changes, note)
    verdict = "approved" if approve else "rejected"
    for user in _people(acceptance.requested_by_id, risk.owner_id):
        _notify(
            "acceptance_decided",
            user,
            f"Acceptance of {risk.ref} {verdict}",
            "acceptances/email/decided.txt",
            acceptance=acceptance,
            risk=risk,
            verdict=verdict,
            decider=actor,
        )


def _a(label: str, capital: bool = False) -> str:
    article = "an" if label[:1].upper() in "AEIOU" else "a"
    return f"{article.capitalize() if capital else article} {label}"


def _end(acceptance: Acceptance, state: AcceptanceState, reason: str) -> None:
    acceptance.state = state
    acceptance.ended_at = utcnow()
    acceptance.end_reason = reason


def _people(*user_ids: int | None) -> list[User]:
    """The users with these ids, once each, in the order given."""
    seen: list[User] = []
    for user_id in dict.fromkeys(uid for uid in user_ids if uid is not None):
        user = db.session.get(User, user_id)
        if user is not None:
            seen.append(user)
    return seen


def void_on_increase(
    new_scores: Mapping[int, int], actor: Any, left_accept: Collection[int] = ()
) -> list[Acceptance]:
    """Void the pending and active acceptances of these risks whose accepted residual score is
    lower than the risk's new one (what was accepted is no longer the risk), and those of the
    risks in `left_accept`, whose treatment is no longer Accept. Flushes."""
    ids = {*new_scores, *left_accept}
    if not ids:
        return []
    found = list(
        db.session.scalars(
            sa.select(Acceptance)
            .where(Acceptance.risk_id.in_(list(ids)), Acceptance.state.in_(OPEN_STATES))
            .order_by(Acceptance.id)
        )
    )
    voided = [
        acc
        for acc in found
        if acc.risk_id in left_accept or new_scores.get(acc.risk_id, 0) > acc.residual_score
    ]
    for acceptance in voided:
        risk = db.session.get(Risk, acceptance.risk_id)
        old = acceptance.state
        if acceptance.risk_id in left_accept:
            reason = f"The treatment changed to {risk.treatment.label}: the acceptance no longer applies."
        else:
            score = new_scores[acceptance.risk_id]
            reason = f"The residual score rose from {acceptance.residual_score} to {score}."
        _end(acceptance, AcceptanceState.VOIDED, reason)
        db.session.flush()
        _record(
            risk, "acceptance_voided", actor, acceptance, {"acceptance_state": [old.value, "voided"]}, reason
        )
        for user in _people(risk.owner_id, acceptance.requested_by_id):
            _notify(
                "acceptance_voided",
                user,
                f"Acceptance of {risk.ref} voided",
                "acceptances/email/voided.txt",
                acceptance=acceptance,
                risk=risk,
                reason=reason,
            )
    return voided


def expire(on: date, warn_days: int | None = None) -> tuple[list[Acceptance], list[Acceptance]]:
    """The daily run: warn of active acceptances expiring within `warn_days` (once each), and end
    those whose expiry date has come (pending requests too: they can no longer be approved). An
    expired acceptance puts its risk back to review on that day. Safe to repeat. Flushes."""
    warn_days = current_app.config["ACCEPTANCE_WARN_DAYS"] if warn_days is None else warn_days
    ended = list(
        db.session.scalars(
            sa.select(Acceptance)
            .where(Acceptance.state.in_(OPEN_STATES), Acceptance.expires_on <= on)
            .order_by(Acceptance.id)
        )
    )
    for acceptance in ended:
        _expire_one(acceptance, on)
    warned = list(
        db.session.scalars(
            sa.select(Acceptance)
            .where(
                Acceptance.state == AcceptanceState.ACTIVE,
                Acceptance.expires_on <= on + timedelta(days=warn_days),
                Acceptance.warned_on.is_(None),
            )
            .order_by(Acceptance.id)
        )
    )
    for acceptance in warned:
        acceptance.warned_on = on
        risk = db.session.get(Risk, acceptance.risk_id)
        for user in _people(risk.owner_id, acceptance.requested_by_id):
            _notify(
                "acceptance_expiring",
                user,
                f"Acceptance of {risk.ref} expires on {acceptance.expires_on.isoformat()}",
                "acceptances/email/expiring.txt",
                acceptance=acceptance,
                risk=risk,
                days=(acceptance.expires_on - on).days,
            )
    db.session.flush()
    return warned, ended


def _expire_one(acceptance: Acceptance, on: date) -> None:
    risk = db.session.get(Risk, acceptance.risk_id)
    was_active = acceptance.state is AcceptanceState.ACTIVE
    reason = (
        f"The acceptance expired on {acceptance.expires_on.isoformat()}: the risk needs review."
        if was_active
        else f"The request reached its expiry date ({acceptance.expires_on.isoformat()}) undecided."
    )
    old = acceptance.state
    _end(acceptance, AcceptanceState.EXPIRED, reason)
    changes: dict[str, list[Any]] = {"acceptance_state": [old.value, AcceptanceState.EXPIRED.value]}
    if was_active and risk.status in (RiskStatus.OPEN, RiskStatus.DRAFT):
        if risk.next_review_date is None or risk.next_review_date > on:
            changes["next_review_date"] = [audit.plain(risk.next_review_date), on.isoformat()]
            risk.next_review_date = on
    db.session.flush()
    _record(risk, "acceptance_expired", None, acceptance, changes, reason)
    for user in _people(risk.owner_id, acceptance.requested_by_id):
        _notify(
            "acceptance_expired",
            user,
            f"Acceptance of {risk.ref} expired: review the risk",
            "acceptances/email/expired.txt",
            acceptance=acceptance,
            risk=risk,
            reason=reason,
        )


def needs_review(risk: Risk, acceptance: Acceptance | None) -> str | None:
    """Why the risk needs review because of its acceptance, or None."""
    if acceptance is None or risk.treatment is not Treatment.ACCEPT:
        return None
    if acceptance.state is AcceptanceState.EXPIRED and acceptance.decided_at is not None:
        return acceptance.end_reason
    if acceptance.state is AcceptanceState.VOIDED:
        return f"The acceptance was voided: {acceptance.end_reason}"
    return None


def _notify(kind: str, user: User, subject: str, template: str, **context: Any) -> None:
    from riskreg import mail

    mail.notify(kind, user, subject, template, **context)


def band_of(acceptance: Acceptance) -> scoring.Band:
    return scoring.matrix().band_by_key(acceptance.residual_band)
