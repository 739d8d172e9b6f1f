"""Acceptance rules: request, approve or reject, void on a score increase, warn and expire.

Treatment *Accept* is set here only (risks/services.check_treatment refuses it elsewhere), and a risk
counts as accepted only while an approved acceptance is active. Each change is audited on the risk
(its History shows the acceptance's life), flushed, never committed; mails are queued in the same
transaction and sent after the caller's commit.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from riskreg import audit, scoring
from riskreg.acceptances.models import OPEN_STATES, Acceptance, AcceptanceState
from riskreg.auth.models import Role, User
from riskreg.extensions import db
from riskreg.i18n import day
from riskreg.i18n.reference import translate
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
AUTHORITY_LABELS = {"risk_manager": _l("a risk manager or an executive"), "executive": _l("an executive")}
# Why a request cannot be decided, by the state it is in (every state but pending).
NOTHING_TO_DECIDE = {
    AcceptanceState.ACTIVE: _l("This request is active: there is nothing to decide."),
    AcceptanceState.REJECTED: _l("This request is rejected: there is nothing to decide."),
    AcceptanceState.EXPIRED: _l("This request is expired: there is nothing to decide."),
    AcceptanceState.VOIDED: _l("This request is voided: there is nothing to decide."),
    AcceptanceState.SUPERSEDED: _l("This request is superseded: there is nothing to decide."),
}


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
            "justification",
            _l(
                "%(ref)s is %(status)s: only open risks are accepted.",
                ref=risk.ref,
                status=risk.status.label.lower(),
            ),
        )
    if _open_of(risk.id, AcceptanceState.PENDING) is not None:
        raise AcceptanceError(
            "justification",
            _l("%(ref)s already has an acceptance request waiting for a decision.", ref=risk.ref),
        )
    justification = (data.get("justification") or "").strip()
    if not justification:
        raise AcceptanceError(
            "justification", _l("Say why the risk is accepted as it is (the justification).")
        )
    if len(justification) > MAX_TEXT:
        raise AcceptanceError(
            "justification", _l("Keep the justification under %(max)s characters.", max=MAX_TEXT)
        )
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
        _l("Approval asked: accept %(ref)s %(title)s", ref=risk.ref, title=risk.title),
        "acceptances/email/requested.txt",
        acceptance=acceptance,
        risk=risk,
        requester=actor,
        band=band,
    )
    return acceptance


def check_expiry(value: Any, on: date) -> date:
    if not isinstance(value, date):
        raise AcceptanceError("expires_on", _l("Give the date the acceptance expires."))
    if value <= on:
        raise AcceptanceError(
            "expires_on", _l("The expiry date must lie ahead: after %(day)s.", day=_day(on))
        )
    limit = latest_expiry(on)
    if value > limit:
        raise AcceptanceError(
            "expires_on",
            _l(
                "An acceptance lasts at most %(months)s months: choose a date up to %(day)s.",
                months=max_months(),
                day=_day(limit),
            ),
        )
    return value


def _approver(risk: Risk, approver_id: Any, actor: Any) -> User:
    approver = db.session.get(User, approver_id) if isinstance(approver_id, int) else None
    if approver is None or not approver.active:
        raise AcceptanceError("approver_id", _l("Choose the approver from the list."))
    if approver.id == getattr(actor, "id", None):
        raise AcceptanceError(
            "approver_id", _l("Someone else must approve your request: choose another approver.")
        )
    if not may_approve(approver, risk):
        band = risk.residual_band
        values = {
            "approver": approver.name,
            "band": translate(band.label),
            "authority": AUTHORITY_LABELS[band.acceptance_approver],
        }
        raise AcceptanceError(
            "approver_id",
            _l("%(approver)s cannot approve it: an %(band)s risk is accepted by %(authority)s.", **values)
            if _an(band.label)
            else _l(
                "%(approver)s cannot approve it: a %(band)s risk is accepted by %(authority)s.", **values
            ),
        )
    return approver


def decide(acceptance: Acceptance, approve: bool, note: str, actor: Any) -> None:
    """The approver's decision. Anyone with the band's authority may decide except the requester;
    the approver named in the request is the one asked. Rejecting needs a note."""
    risk = db.session.get(Risk, acceptance.risk_id)
    if acceptance.state is not AcceptanceState.PENDING:
        raise AcceptanceError("note", NOTHING_TO_DECIDE[acceptance.state])
    if getattr(actor, "id", None) == acceptance.requested_by_id:
        raise AcceptanceError("note", _l("You asked for this acceptance: someone else must decide it."))
    if not may_approve(actor, risk):
        band = risk.residual_band
        values = {"band": translate(band.label), "authority": AUTHORITY_LABELS[band.acceptance_approver]}
        raise AcceptanceError(
            "note",
            _l("An %(band)s risk is accepted by %(authority)s.", **values)
            if _an(band.label)
            else _l("A %(band)s risk is accepted by %(authority)s.", **values),
        )
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise AcceptanceError("note", _l("Keep the note under %(max)s characters.", max=MAX_TEXT))
    if not approve and not note:
        raise AcceptanceError("note", _l("Say in a note why the acceptance is rejected."))
    on = today()
    if approve and acceptance.expires_on <= on:
        raise AcceptanceError(
            "note", _l("The requested expiry date has passed: the risk must be asked for again.")
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
            _l("Acceptance of %(ref)s approved", ref=risk.ref)
            if approve
            else _l("Acceptance of %(ref)s rejected", ref=risk.ref),
            "acceptances/email/decided.txt",
            acceptance=acceptance,
            risk=risk,
            verdict=verdict,
            decider=actor,
        )


def _an(label: str) -> bool:
    """English says "an" before this band's label (the message is chosen by it, then translated)."""
    return label[:1].upper() in "AEIOU"


def _day(value: date) -> LazyString:
    """A date written in the language of the page or mail that shows it (ISO in English)."""
    return LazyString(day, value)


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
            # Stored in English (an end reason, an audit note): `explain` translates it where shown.
            treatment = risk.treatment.value.capitalize()
            reason = f"The treatment changed to {treatment}: the acceptance no longer applies."
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
                _l("Acceptance of %(ref)s voided", ref=risk.ref),
                "acceptances/email/voided.txt",
                acceptance=acceptance,
                risk=risk,
                reason=explain(reason),
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
                _l("Acceptance of %(ref)s expires on %(day)s", ref=risk.ref, day=_day(acceptance.expires_on)),
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
            _l("Acceptance of %(ref)s expired: review the risk", ref=risk.ref),
            "acceptances/email/expired.txt",
            acceptance=acceptance,
            risk=risk,
            reason=explain(reason),
        )


def needs_review(risk: Risk, acceptance: Acceptance | None) -> str | None:
    """Why the risk needs review because of its acceptance, or None."""
    if acceptance is None or risk.treatment is not Treatment.ACCEPT:
        return None
    if acceptance.state is AcceptanceState.EXPIRED and acceptance.decided_at is not None:
        return str(explain(acceptance.end_reason))
    if acceptance.state is AcceptanceState.VOIDED:
        return str(_l("The acceptance was voided: %(reason)s", reason=explain(acceptance.end_reason)))
    return None


# The end reasons riskreg writes (stored in English), and the message each is shown as.
_REASONS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"Replaced by acceptance #(\d+)\."),
        lambda m: _l("Replaced by acceptance #%(id)s.", id=m[1]),
    ),
    (
        re.compile(r"The treatment changed to (\w+): the acceptance no longer applies\."),
        lambda m: _l(
            "The treatment changed to %(treatment)s: the acceptance no longer applies.",
            treatment=_treatment_label(m[1]),
        ),
    ),
    (
        re.compile(r"The residual score rose from (\d+) to (\d+)\."),
        lambda m: _l("The residual score rose from %(old)s to %(new)s.", old=m[1], new=m[2]),
    ),
    (
        re.compile(r"The acceptance expired on (\d{4}-\d{2}-\d{2}): the risk needs review\."),
        lambda m: _l(
            "The acceptance expired on %(day)s: the risk needs review.", day=_day(date.fromisoformat(m[1]))
        ),
    ),
    (
        re.compile(r"The request reached its expiry date \((\d{4}-\d{2}-\d{2})\) undecided\."),
        lambda m: _l(
            "The request reached its expiry date (%(day)s) undecided.", day=_day(date.fromisoformat(m[1]))
        ),
    ),
]


def _treatment_label(english: str) -> Any:
    for treatment in Treatment:
        if treatment.value.capitalize() == english:
            return LazyString(lambda t=treatment: t.label)
    return english


def explain(reason: str | None) -> Any:
    """An end reason in the reader's language (lazy: a mail renders it in its recipient's); a
    reason written otherwise (by hand, by an older version) is shown as stored."""
    text = (reason or "").strip()
    for pattern, message in _REASONS:
        match = pattern.fullmatch(text)
        if match:
            return message(match)
    return reason or ""


def _notify(kind: str, user: User, subject: str, template: str, **context: Any) -> None:
    from riskreg import mail

    mail.notify(kind, user, subject, template, **context)


def band_of(acceptance: Acceptance) -> scoring.Band:
    return scoring.matrix().band_by_key(acceptance.residual_band)
