"""Answering review flags: a reassessment (the risk edit changed a score or the assessment) or
"reviewed, no change" with a note. Either is a RiskReview row that closes the risk's open flags,
is audited, and rolls the next review date forward by the residual band's cadence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from riskreg import audit
from riskreg.auth.permissions import can_edit_risk
from riskreg.extensions import db
from riskreg.indicators.models import ReviewFlag, ReviewKind, RiskReview, Trigger
from riskreg.modeling import utcnow

# A change to any of these in the risk edit form is a reassessment.
ASSESSMENT_FIELDS = (
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
    "target_likelihood",
    "target_impact",
    "treatment",
    "trend",
)
MAX_NOTE = 2000


class ReviewError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def can_review(user: Any, risk: Any) -> bool:
    """The risk's owner, or anyone who may edit risks."""
    return can_edit_risk(user, risk) or (
        getattr(user, "is_authenticated", False) and user.active and user.id == risk.owner_id
    )


def open_flag_reasons(risk_ids: list[int]) -> dict[int, list[str]]:
    """Reasons of the open flags of these risks (one query), for the register and the risk page."""
    if not risk_ids:
        return {}
    from riskreg.grievances.models import Grievance

    rows = db.session.execute(
        sa.select(ReviewFlag.risk_id, Trigger.reason, Grievance)
        .outerjoin(Trigger, Trigger.id == ReviewFlag.trigger_id)
        .outerjoin(Grievance, Grievance.id == ReviewFlag.grievance_id)
        .where(ReviewFlag.risk_id.in_(risk_ids), ReviewFlag.review_id.is_(None))
        .order_by(ReviewFlag.risk_id, ReviewFlag.raised_at.desc(), ReviewFlag.id.desc())
    )
    reasons: dict[int, list[str]] = {}
    for risk_id, trigger_reason, grievance in rows:
        reason = trigger_reason if grievance is None else grievance.review_reason
        if reason not in reasons.setdefault(risk_id, []):
            reasons[risk_id].append(reason)
    return reasons


def review(
    risk: Any, kind: ReviewKind, note: str, actor: Any, at: datetime | None = None, roll: bool = True
) -> RiskReview | None:
    """Close the risk's open flags; None when there were none to close (a reassessment without flags).

    `roll=False` keeps the next review date (the editor chose one in the same edit)."""
    note = (note or "").strip()
    if kind is ReviewKind.NO_CHANGE and not note:
        raise ReviewError("note", "Say in a note why the risk stays as it is.")
    if len(note) > MAX_NOTE:
        raise ReviewError("note", f"Keep the note under {MAX_NOTE} characters.")
    # No autoflush, no flush: whatever the caller has pending (the risk edit's own audit event, which
    # the import still annotates) stays pending, and everything lands in the caller's next flush.
    with db.session.no_autoflush:
        flags = list(
            db.session.scalars(
                sa.select(ReviewFlag)
                .where(ReviewFlag.risk_id == risk.id, ReviewFlag.review_id.is_(None))
                .order_by(ReviewFlag.id)
                .options(selectinload(ReviewFlag.trigger), selectinload(ReviewFlag.grievance))
            )
        )
    if not flags:
        if kind is ReviewKind.NO_CHANGE:
            raise ReviewError("note", f"{risk.ref} has no open review flag.")
        return None
    at = at or utcnow()
    before = risk.next_review_date
    after = at.date() + timedelta(days=risk.residual_band.review_days) if roll else before
    record = RiskReview(
        risk_id=risk.id,
        at=at,
        by_id=getattr(actor, "id", None),
        kind=kind,
        note=note,
        next_review_before=before,
        next_review_after=after,
    )
    db.session.add(record)
    for flag in flags:
        flag.review = record
    if after != before:
        risk.next_review_date = after
    reasons = "; ".join(
        dict.fromkeys(flag.trigger.reason if flag.trigger else flag.grievance.review_reason for flag in flags)
    )
    words = f"{kind.label}" + (f": {note}" if note else "")
    audit.record(
        "risk",
        risk.id,
        "review",
        actor,
        {"review_flags": [len(flags), 0], "next_review_date": [audit.plain(before), audit.plain(after)]},
        f"{words}. Flags cleared: {reasons}",
    ).at = at
    return record


def after_risk_update(risk: Any, changes: dict[str, Any], actor: Any) -> None:
    """Called by the risk service after an edit: a score or assessment change is a reassessment.

    A next review date the editor set in the same edit stands (only the flags close then)."""
    if not any(name in changes for name in ASSESSMENT_FIELDS):
        return
    note = ", ".join(
        f"{name.replace('_', ' ')} {old} → {new}"
        for name, (old, new) in changes.items()
        if name in ASSESSMENT_FIELDS
    )
    review(risk, ReviewKind.REASSESSED, note, actor, roll="next_review_date" not in changes)
