"""Recording a review of a risk: a RiskReview row (who, when, outcome, note, scores at the time),
an audit event in the risk's History, the risk's open review flags answered, and the next review
date rolled forward by the residual band's cadence (seeds/matrix.toml `review_days`).

Flushes nothing itself and never commits: whatever the caller has pending (the risk edit's own
audit event, which the import still annotates) lands in the caller's next flush, with the review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg import audit
from riskreg.auth.permissions import can_edit_risk
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.reviews.models import ReviewKind, RiskReview

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
NO_NOTE = _l("Say in a note why the risk stays as it is.")


class ReviewError(ValueError):
    """A rule the review breaks; the message is a lazy text, in the reader's language where it is
    shown (str() it there)."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message)
        self.field = field


def can_review(user: Any, risk: Any) -> bool:
    """The risk's owner, or anyone who may edit risks; never an archived risk."""
    if not risk.editable:
        return False
    return can_edit_risk(user, risk) or (
        getattr(user, "is_authenticated", False) and user.active and user.id == risk.owner_id
    )


def open_flags(risk: Any) -> list[Any]:
    from riskreg.indicators.models import ReviewFlag

    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                sa.select(ReviewFlag)
                .where(ReviewFlag.risk_id == risk.id, ReviewFlag.review_id.is_(None))
                .order_by(ReviewFlag.id)
                .options(selectinload(ReviewFlag.trigger))
            )
        )


def check_note(kind: ReviewKind, note: str | None) -> str:
    note = (note or "").strip()
    if kind is ReviewKind.NO_CHANGE and not note:
        raise ReviewError("note", NO_NOTE)
    if len(note) > MAX_NOTE:
        raise ReviewError("note", _l("Keep the note under %(max)s characters.", max=MAX_NOTE))
    return note


def record_review(
    risk: Any,
    kind: ReviewKind,
    note: str,
    actor: Any,
    at: datetime | None = None,
    roll: bool = True,
    flags: list[Any] | None = None,
) -> RiskReview:
    """Record a review of the risk and answer its open flags (`flags`: already read by the caller).

    `roll=False` keeps the next review date (the editor chose one in the same edit)."""
    note = check_note(kind, note)
    if not risk.editable:
        raise ReviewError("risk", _l("%(ref)s is archived: restore it before reviewing it.", ref=risk.ref))
    flags = open_flags(risk) if flags is None else flags
    at = at or utcnow()
    before = risk.next_review_date
    after = at.date() + timedelta(days=risk.residual_band.review_days) if roll else before
    record = RiskReview(
        risk_id=risk.id,
        at=at,
        by_id=getattr(actor, "id", None),
        kind=kind,
        note=note,
        inherent_score=risk.inherent_score,
        residual_score=risk.residual_score,
        next_review_before=before,
        next_review_after=after,
    )
    db.session.add(record)
    for flag in flags:
        flag.review = record
    if after != before:
        risk.next_review_date = after
    # The History's words are stored: in English whatever the reader's language.
    words = f"{kind.english_label}" + (f": {note}" if note else "")
    changes: dict[str, list[Any]] = {
        "next_review_date": [audit.plain(before), audit.plain(after)],
        "residual_score": [risk.residual_score] * 2,  # the score the review looked at
    }
    if flags:
        reasons = "; ".join(dict.fromkeys(flag.reason_text for flag in flags))
        changes["review_flags"] = [len(flags), 0]
        words = f"{words}. Flags cleared: {reasons}"
    else:
        words = f"{words}."
    audit.record("risk", risk.id, "review", actor, changes, words).at = at
    return record


def reassessment_note(changes: dict[str, Any]) -> str:
    return ", ".join(
        f"{name.replace('_', ' ')} {old} → {new}"
        for name, (old, new) in changes.items()
        if name in ASSESSMENT_FIELDS
    )


def after_risk_update(risk: Any, changes: dict[str, Any], actor: Any) -> RiskReview | None:
    """Called by the risk service after an edit: a score or assessment change is a reassessment,
    recorded as a review. A next review date the editor set in the same edit stands."""
    if not any(name in changes for name in ASSESSMENT_FIELDS):
        return None
    return record_review(
        risk, ReviewKind.REASSESSED, reassessment_note(changes), actor, roll="next_review_date" not in changes
    )


def reassessed_through_form(risk: Any, changes: dict[str, Any], actor: Any) -> RiskReview | None:
    """The edit form opened with "Reassess" was saved: a reassessment review, unless the edit's own
    assessment change already recorded one (after_risk_update)."""
    if any(name in changes for name in ASSESSMENT_FIELDS):
        return None
    note = "Reassessed; the assessment stays as it was"
    return record_review(risk, ReviewKind.REASSESSED, note, actor, roll="next_review_date" not in changes)
