"""Monthly band snapshots: the CLI, the first view of a month, concurrent writers, the audit backfill."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.dashboard import trend, views
from riskreg.dashboard.demo import load_demo_history
from riskreg.dashboard.models import BandSnapshot
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import services as risk_services
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Direction, RiskStatus
from tests.conftest import text_of
from tests.dashboard_pages import page


def snapshot_rows() -> list[tuple]:
    db.session.rollback()  # see what requests and commands committed
    stmt = sa.select(
        BandSnapshot.month,
        BandSnapshot.basis,
        BandSnapshot.band,
        BandSnapshot.site_id,
        BandSnapshot.direction,
        BandSnapshot.risk_count,
    ).order_by(BandSnapshot.id)
    return [tuple(row) for row in db.session.execute(stmt)]


def totals(rows, basis: str = "residual") -> dict[str, int]:
    found: dict[str, int] = {}
    for _month, row_basis, band, _site, _direction, count in rows:
        if row_basis == basis:
            found[band] = found.get(band, 0) + count
    return {band: n for band, n in found.items() if n}


def test_snapshot_command_counts_open_risks_and_is_idempotent(runner, make_risk, make_site):
    site = make_site()
    make_risk(site_id=site.id, residual_likelihood=4, residual_impact=4)  # Extreme
    make_risk(residual_likelihood=1, residual_impact=1, direction=Direction.TO_ASM)  # Low
    make_risk(residual_likelihood=4, residual_impact=4, status=RiskStatus.DRAFT)  # not open: not counted
    first = runner.invoke(args=["dashboard", "snapshot"])
    assert first.exit_code == 0 and "Recorded the snapshot" in first.output, first.output
    rows = snapshot_rows()
    assert {row[0] for row in rows} == {trend.month_start(today())}
    assert totals(rows) == {"extreme": 1, "low": 1}
    assert totals(rows, "inherent") == {"extreme": 2}  # both at 4 x 4 before controls
    second = runner.invoke(args=["dashboard", "snapshot"])
    assert second.exit_code == 0 and "already there" in second.output
    assert snapshot_rows() == rows


def test_first_view_of_a_month_writes_its_snapshot_once(clients, make_risk):
    make_risk(residual_likelihood=2, residual_impact=2)
    assert snapshot_rows() == []
    page(clients["executive"].get("/dashboard"))
    rows = snapshot_rows()
    assert totals(rows) == {"low": 1}
    make_risk(residual_likelihood=2, residual_impact=2)
    page(clients["risk_manager"].get("/dashboard"))
    assert snapshot_rows() == rows  # the month is taken: later changes wait for next month


def test_an_empty_register_still_takes_the_month(clients):
    page(clients["executive"].get("/dashboard"))
    rows = snapshot_rows()
    assert len(rows) == 8 and all(row[-1] == 0 for row in rows)  # 2 bases x 4 bands, zero each
    page(clients["executive"].get("/dashboard"))
    assert len(snapshot_rows()) == 8


def test_two_writers_at_once_write_the_month_once(app, make_risk):
    """One writer holds its transaction open; the other, meanwhile, must neither duplicate nor fail."""
    make_risk()
    db.session.commit()
    outcome: dict[str, object] = {}

    def second_writer() -> None:
        with app.app_context():
            try:
                views.record_month(today())  # what the view does on a month's first request
                outcome["done"] = True
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                outcome["error"] = error
            finally:
                db.session.remove()

    with app.app_context():
        assert trend.take_snapshot(today()) > 0  # written, not committed: the lock is held
        other = threading.Thread(target=second_writer)
        other.start()
        time.sleep(0.5)  # let it reach the lock (PostgreSQL) or the write lock (SQLite)
        db.session.commit()
        db.session.remove()
    other.join(30)
    assert outcome == {"done": True}
    rows = snapshot_rows()
    assert len(rows) == len(set(rows)) and sum(r[-1] for r in rows) == 2  # one risk, two bases


def set_times(risk_id: int, *times: datetime) -> None:
    """Move a risk's audit events, oldest first, to the given instants."""
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "risk", AuditEvent.entity_id == risk_id)
        .order_by(AuditEvent.id)
    ).all()  # fmt: skip
    assert len(events) == len(times)
    for event, at in zip(events, times, strict=True):
        event.at = at
    db.session.commit()


def test_backfill_rebuilds_past_months_from_the_audit_trail(runner, make_risk, users):
    this_month = trend.month_start(today())
    m3, m2, m1 = (trend.instant(trend.add_months(this_month, -k)) for k in (3, 2, 1))
    moved = make_risk(residual_likelihood=4, residual_impact=4)  # Extreme, then Low
    values = {name: getattr(moved, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(
        moved, values | {"residual_likelihood": 2, "residual_impact": 2}, users["admin"], moved.version
    )
    archived = make_risk(residual_likelihood=3, residual_impact=3)  # High, then archived
    risk_services.archive_risk(archived, users["admin"])
    db.session.commit()
    # created, updated, and the review that update is (riskreg.reviews), at the update's instant
    set_times(moved.id, m3 + timedelta(days=9), m2 + timedelta(days=14), m2 + timedelta(days=14))
    set_times(archived.id, m2 + timedelta(days=20), m1 + timedelta(days=4))

    result = runner.invoke(args=["dashboard", "backfill"])
    assert result.exit_code == 0 and "Rebuilt 3 month(s)" in result.output, result.output
    rows = snapshot_rows()
    by_month = {m: totals([r for r in rows if r[0] == m]) for m in {r[0] for r in rows}}
    assert by_month == {
        m2.date(): {"extreme": 1},  # the month m3 began before the first event: left out
        m1.date(): {"low": 1, "high": 1},
        this_month: {"low": 1},  # the archived one is gone
    }
    assert "nothing to do" in runner.invoke(args=["dashboard", "backfill"]).output
    assert snapshot_rows() == rows


def test_trend_follows_site_and_direction_and_says_what_it_ignores(clients, make_risk, make_site):
    site = make_site()
    make_risk(site_id=site.id, residual_likelihood=4, residual_impact=4)
    make_risk(residual_likelihood=4, residual_impact=4, direction=Direction.TO_ASM)
    assert load_demo_history(months=2) > 0
    db.session.commit()
    series = trend.series(RiskFilters(site=site.id), today())
    assert len(series.months) == 3 and series.counts["extreme"][-1] == 1
    assert trend.series(RiskFilters(direction=Direction.TO_ASM), today()).counts["extreme"][-1] == 1
    assert trend.series(RiskFilters(corporate=True), today()).counts["extreme"][-1] == 1
    words = text_of(clients["executive"].get("/dashboard?category=Environment"))
    assert "Residual risks per band, month by month" in words
    assert "follows the site and direction filters only, not category" in words


def test_demo_seed_gives_the_trend_several_months(runner, clients):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    months = {row[0] for row in snapshot_rows()}
    assert len(months) == 7 and trend.month_start(today()) in months
    text = page(clients["executive"].get("/dashboard"))
    start = text.index("trend-table")
    assert text.count('<th scope="col">', start, text.index("</table>", start)) == 8  # band + 7 months
