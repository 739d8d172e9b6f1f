"""Monthly band snapshots: what the trend is drawn from, and how they are written.

A snapshot for month M counts the *open* risks per band, inherent and residual, for each (site,
direction), as the register stood when M began (or when M's first dashboard view or
`flask dashboard snapshot` ran, whichever came first). One month is written once: on PostgreSQL
the writer holds a transaction-scoped advisory lock while it checks and inserts; on SQLite writers
are serialised, and a second writer whose read is stale fails instead of inserting twice (the view
then rolls back and carries on). Months before the first snapshot can be rebuilt from the audit
trail (`flask dashboard backfill`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from riskreg import reads, scoring
from riskreg.audit import AuditEvent
from riskreg.dashboard.models import BandSnapshot
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Risk, RiskStatus

logger = logging.getLogger(__name__)

BASES = ("inherent", "residual")
TREND_MONTHS = 13  # a year and the month in progress
LOCK_KEY = 0x52524B42  # "RRKB": the advisory lock of the snapshot writer (PostgreSQL)
STATE_FIELDS = (
    "status",
    "site_id",
    "direction",
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
)

Key = tuple[str, str, int | None, str | None]  # basis, band, site_id, direction


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def instant(month: date) -> datetime:
    """The first instant of a month (UTC, naive like every stored timestamp)."""
    return datetime(month.year, month.month, 1)


def months_between(first: date, last: date) -> Iterator[date]:
    """First days of the months from first to last, both included."""
    month = month_start(first)
    while month <= last:
        yield month
        month = add_months(month, 1)


def has_snapshot(month: date) -> bool:
    return reads.scalar(_has_snapshot_statement(), {"month": month}) is not None


@cache
def _has_snapshot_statement() -> sa.Select:
    return sa.select(BandSnapshot.id).where(BandSnapshot.month == sa.bindparam("month")).limit(1)


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))


def _band(matrix: scoring.Matrix, likelihood: Any, impact: Any, direction: Any) -> str | None:
    try:
        return matrix.band(likelihood, impact, direction).key
    except ValueError:  # an incomplete or out-of-range state (old audit data): not counted
        return None


def current_counts() -> Counter[Key]:
    """Open risks per (basis, band, site, direction), from one GROUP BY per basis."""
    matrix = scoring.matrix()
    counts: Counter[Key] = Counter()
    for basis in BASES:
        likelihood = getattr(Risk, f"{basis}_likelihood")
        impact = getattr(Risk, f"{basis}_impact")
        stmt = (
            sa.select(Risk.site_id, Risk.direction, likelihood, impact, sa.func.count())
            .where(Risk.status == RiskStatus.OPEN)
            .group_by(Risk.site_id, Risk.direction, likelihood, impact)
        )
        for site_id, direction, lk, im, count in db.session.execute(stmt):
            band = _band(matrix, lk, im, direction)
            if band:
                counts[(basis, band, site_id, getattr(direction, "value", direction))] += count
    return counts


def insert_month(month: date, counts: Counter[Key], taken_at: datetime | None = None) -> int:
    """Add a month's rows. A band with no risk at all gets one zero row, so the month is 'taken'."""
    matrix = scoring.matrix()
    rows = [
        {"month": month, "basis": basis, "band": band, "site_id": site_id, "direction": direction}
        | {"risk_count": count, "taken_at": taken_at or utcnow()}
        for (basis, band, site_id, direction), count in sorted(counts.items(), key=_sort_key)
        if count
    ]
    present = {(row["basis"], row["band"]) for row in rows}
    rows += [
        {"month": month, "basis": basis, "band": band, "site_id": None, "direction": None}
        | {"risk_count": 0, "taken_at": taken_at or utcnow()}
        for basis in BASES
        for band in matrix.band_keys
        if (basis, band) not in present
    ]
    db.session.execute(sa.insert(BandSnapshot), rows)
    return len(rows)


def _sort_key(item: tuple[Key, int]) -> tuple:
    (basis, band, site_id, direction), _ = item
    return (basis, band, site_id or 0, direction or "")


def take_snapshot(on: date) -> int:
    """Write the month's snapshot unless it exists; rows written (0 when it was already there).

    Flushes, never commits: the caller commits (the lock, on PostgreSQL, is held until then).
    """
    month = month_start(on)
    _lock()
    if has_snapshot(month):
        return 0
    written = insert_month(month, current_counts())
    logger.info("band snapshot of %s written (%s rows)", month, written)
    return written


@dataclass(frozen=True)
class TrendSeries:
    months: list[date]
    counts: dict[str, list[int]]  # band key -> one count per month

    @property
    def empty(self) -> bool:
        return not self.months


def series(filters: RiskFilters, today: date, basis: str = "residual") -> TrendSeries:
    """Counts per band per month for the last TREND_MONTHS months, following site and direction."""
    site = "corporate" if filters.corporate else "one" if filters.site is not None else "all"
    values: dict[str, Any] = {"basis": basis, "start": add_months(month_start(today), -(TREND_MONTHS - 1))}
    if site == "one":
        values["site"] = filters.site
    if filters.direction is not None:
        values["direction"] = filters.direction.value
    band_keys = scoring.matrix().band_keys
    by_month: dict[date, dict[str, int]] = {}
    for month, band, count in reads.rows(_series_statement(site, filters.direction is not None), values):
        by_month.setdefault(month, {})[band] = int(count or 0)
    months = sorted(by_month)
    return TrendSeries(months, {key: [by_month[m].get(key, 0) for m in months] for key in band_keys})


@cache
def _series_statement(site: str, by_direction: bool) -> sa.Select:
    """series()'s statement for each shape of filter (site: all, corporate or one), built once."""
    stmt = (
        sa.select(BandSnapshot.month, BandSnapshot.band, sa.func.sum(BandSnapshot.risk_count))
        .where(BandSnapshot.basis == sa.bindparam("basis"), BandSnapshot.month >= sa.bindparam("start"))
        .group_by(BandSnapshot.month, BandSnapshot.band)
        .order_by(BandSnapshot.month)
    )
    if site == "corporate":
        stmt = stmt.where(BandSnapshot.site_id.is_(None))
    elif site == "one":
        stmt = stmt.where(BandSnapshot.site_id == sa.bindparam("site"))
    if by_direction:
        stmt = stmt.where(BandSnapshot.direction == sa.bindparam("direction"))
    return stmt


def backfill(now: datetime | None = None) -> dict[date, int]:
    """Rebuild the months with no snapshot from the audit trail: {month: rows written}.

    Replays every risk event once, in order, keeping each risk's state (status, site, direction,
    scores); at each missing month's first instant it counts the open risks. Memory grows with
    the number of risks, time with the number of events: a one-off command, not a page.
    """
    now = now or utcnow()
    _lock()
    first_at = db.session.scalar(sa.select(sa.func.min(AuditEvent.at)).where(AuditEvent.entity == "risk"))
    if first_at is None:
        return {}
    taken = set(db.session.scalars(sa.select(BandSnapshot.month).distinct()))
    # A month that began before the first event would count nothing: it is left out.
    missing = [
        m for m in months_between(first_at.date(), now.date()) if m not in taken and instant(m) > first_at
    ]
    if not missing:
        return {}
    events = db.session.execute(
        sa.select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.changes)
        .where(AuditEvent.entity == "risk", AuditEvent.at < instant(missing[-1]))
        .order_by(AuditEvent.at, AuditEvent.id)
        .execution_options(yield_per=5000)
    )
    written = {}
    for month, counts in replay(events, missing):
        written[month] = insert_month(month, counts, taken_at=now)
    logger.info("band snapshots rebuilt from the audit trail for %s month(s)", len(written))
    return written


def replay(
    events: Iterable[tuple[int, datetime, dict]], months: list[date]
) -> Iterator[tuple[date, Counter[Key]]]:
    """Yield (month, counts at the month's first instant) for each month, from ordered events."""
    matrix = scoring.matrix()
    states: dict[int, dict[str, Any]] = {}
    pending = list(months)
    for risk_id, at, changes in events:
        while pending and at >= instant(pending[0]):
            yield pending.pop(0), state_counts(states, matrix)
        state = states.setdefault(risk_id, {})
        for name in STATE_FIELDS:
            if name in (changes or {}):
                state[name] = changes[name][1]
    for month in pending:
        yield month, state_counts(states, matrix)


def state_counts(states: dict[int, dict[str, Any]], matrix: scoring.Matrix) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    for state in states.values():
        if state.get("status") != RiskStatus.OPEN.value:
            continue
        for basis in BASES:
            band = _band(
                matrix, state.get(f"{basis}_likelihood"), state.get(f"{basis}_impact"), state.get("direction")
            )
            if band:
                counts[(basis, band, state.get("site_id"), state.get("direction"))] += 1
    return counts
