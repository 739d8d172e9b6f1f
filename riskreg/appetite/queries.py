"""Above appetite in SQL and in Python: a risk whose residual band ranks above its category's appetite.

Uses the stored band ranks (the people-first rule included), so the register filter reads no more
than its own indexes; the appetite table is read once per request (a handful of rows).
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import sqlalchemy as sa

from riskreg import reads, scoring
from riskreg.appetite.services import stored
from riskreg.risks.models import Direction, Risk, RiskStatus

LIVE = (RiskStatus.OPEN, RiskStatus.DRAFT)


def ranks(appetites: dict[str, str] | None = None) -> dict[str, int]:
    """Category -> the rank of its appetite band: of every stored appetite, or of `appetites`
    (category -> band key) already read."""
    matrix = scoring.matrix()
    out = {}
    for category, key in (stored() if appetites is None else appetites).items():
        try:
            out[category] = matrix.band_by_key(key).rank
        except KeyError:
            continue  # a band since dropped from the matrix: no appetite until an admin sets one
    return out


def above_condition(appetite_ranks: dict[str, int] | None = None) -> sa.ColumnElement[bool]:
    appetite_ranks = ranks() if appetite_ranks is None else appetite_ranks
    if not appetite_ranks:
        return sa.false()
    by_rank: dict[int, list[str]] = {}
    for category, rank in appetite_ranks.items():
        by_rank.setdefault(rank, []).append(category)
    return sa.or_(
        *(
            sa.and_(Risk.category.in_(categories), Risk.residual_band_rank > rank)
            for rank, categories in sorted(by_rank.items())
        )
    )


def covered_condition(risk_id: sa.ColumnElement[int] | None = None) -> sa.ColumnElement[bool]:
    """The risk has a treatment plan (an open control linked) or an approved, active acceptance.

    The one home of the rule: the triggers that keep risk_cover (riskreg.appetite.cover) run it
    over the id of the risk a write touched (`risk_id`); by default it is the risk of the query."""
    from riskreg.acceptances.models import Acceptance, AcceptanceState
    from riskreg.controls.models import OPEN_CONTROL_STATUSES, Control, risk_controls

    risk_id = Risk.id if risk_id is None else risk_id
    plan = sa.exists().where(
        risk_controls.c.risk_id == risk_id,
        risk_controls.c.control_id == Control.id,
        Control.status.in_(OPEN_CONTROL_STATUSES),
    )
    accepted = sa.exists().where(Acceptance.risk_id == risk_id, Acceptance.state == AcceptanceState.ACTIVE)
    return sa.or_(plan, accepted)


def escalated_condition(appetite_ranks: dict[str, int] | None = None) -> sa.ColumnElement[bool]:
    # Not "NOT EXISTS risk_cover": with most risks covered PostgreSQL hashes all of risk_cover for
    # the anti-join (My work's escalated risks at 1,000,000 risks: 760 ms against 137 ms this way).
    return sa.and_(above_condition(appetite_ranks), ~covered_condition())


def is_above(risk: Risk, appetite_ranks: dict[str, int]) -> bool:
    rank = appetite_ranks.get(risk.category)
    return rank is not None and risk.residual_band_rank > rank


@functools.cache  # built once, run with the categories that have an appetite: every dashboard view
def _kept_counts() -> sa.Select:
    from riskreg.appetite.models import AppetiteCount

    kept = AppetiteCount.__table__.c
    return (
        sa.select(kept.category, kept.direction, kept.band_rank, kept.covered, sa.func.sum(kept.risk_count))
        .where(
            kept.status.in_([status.value for status in LIVE]),
            kept.category.in_(sa.bindparam("categories", expanding=True)),
        )
        .group_by(kept.category, kept.direction, kept.band_rank, kept.covered)
    )


def panel() -> dict[str, Any]:
    """The dashboard's "Above appetite": live risks above appetite per category and per direction,
    and how many of them are escalated (no open control, no active acceptance). One read of the
    kept appetite counts (riskreg.dashboard.counts.APPETITE): a few hundred rows at any register
    size; the band ranks above each category's appetite are picked here."""
    appetite_ranks = ranks()
    rows = reads.rows(_kept_counts(), {"categories": sorted(appetite_ranks)})
    per_category: Counter[str] = Counter()
    escalated_per_category: Counter[str] = Counter()
    per_direction: Counter[str] = Counter()  # by the stored value, named once below
    for category, direction, rank, covered, count in rows:
        if not count or rank <= appetite_ranks[category]:
            continue
        per_category[category] += count
        if not covered:
            escalated_per_category[category] += count
        per_direction[direction] += count
    matrix = scoring.matrix()
    appetite_labels = {category: matrix.bands[rank].label for category, rank in appetite_ranks.items()}
    return {
        "categories": [
            (category, appetite_labels.get(category, "—"), count, escalated_per_category[category])
            for category, count in sorted(per_category.items(), key=lambda item: (-item[1], item[0]))
        ],
        "directions": [(direction, per_direction[direction.value]) for direction in Direction],
        "total": sum(per_category.values()),
        "escalated": sum(escalated_per_category.values()),
        "stated": bool(appetite_ranks),
    }
