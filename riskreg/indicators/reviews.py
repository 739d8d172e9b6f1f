"""Answering review flags raised by indicator triggers: a reassessment (the risk edit changed a
score or the assessment) or "reviewed, no change" with a note. Both are reviews of the risk
(riskreg.reviews, their one home); this module keeps the flags' side of it."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import reads
from riskreg.indicators.models import ReviewFlag, Trigger
from riskreg.reviews.models import ReviewKind, RiskReview
from riskreg.reviews.services import (
    ASSESSMENT_FIELDS,
    MAX_NOTE,
    ReviewError,
    after_risk_update,
    can_review,
    check_note,
    open_flags,
    record_review,
)

__all__ = [
    "ASSESSMENT_FIELDS",
    "MAX_NOTE",
    "ReviewError",
    "after_risk_update",
    "can_review",
    "open_flag_reasons",
    "review",
]


@functools.cache
def _open_flag_reasons() -> sa.Select:
    """Built once, run with a page's risk ids (an expanding IN): every register page asks."""
    return (
        sa.select(ReviewFlag.risk_id, sa.func.coalesce(ReviewFlag.reason, Trigger.reason))
        .outerjoin(Trigger, Trigger.id == ReviewFlag.trigger_id)
        .where(
            ReviewFlag.risk_id.in_(sa.bindparam("risk_ids", expanding=True)),
            ReviewFlag.review_id.is_(None),
        )
        .order_by(
            ReviewFlag.risk_id,
            sa.func.coalesce(Trigger.at, ReviewFlag.raised_at).desc(),
            ReviewFlag.id.desc(),
        )
    )


def open_flag_reasons(risk_ids: list[int]) -> dict[int, list[str]]:
    """Reasons of the open flags of these risks (one query), for the register and the risk page."""
    if not risk_ids:
        return {}
    rows = reads.rows(_open_flag_reasons(), {"risk_ids": list(risk_ids)})
    reasons: dict[int, list[str]] = {}
    for risk_id, reason in rows:
        if reason not in reasons.setdefault(risk_id, []):
            reasons[risk_id].append(reason)
    return reasons


def review(
    risk: Any, kind: ReviewKind, note: str, actor: Any, at: datetime | None = None, roll: bool = True
) -> RiskReview | None:
    """Answer the risk's open flags with a review; None when there were none (a reassessment).

    "Reviewed, no change" here is an answer to flags: without any it is refused (a review without
    flags is recorded from the risk page, riskreg.reviews)."""
    check_note(kind, note)
    flags = open_flags(risk)
    if not flags:
        if kind is ReviewKind.NO_CHANGE:
            raise ReviewError("note", _l("%(ref)s has no open review flag.", ref=risk.ref))
        return None
    return record_review(risk, kind, note, actor, at=at, roll=roll, flags=flags)
