"""The dashboard's kept heatmap counts stay equal to a recount of the risks, whoever writes them."""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from riskreg.bulk import services as bulk_services
from riskreg.controls.models import (
    DONE_CONTROL_STATUSES,
    OPEN_CONTROL_STATUSES,
    Control,
    ControlStatus,
    risk_controls,
)
from riskreg.dashboard import counts
from riskreg.dashboard import queries as dashboard_queries
from riskreg.dashboard.models import ControlCount, RiskCellCount
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import bulk, services
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment
from riskreg.seeding import scale

CATEGORIES = ("Land Access & Tenure", "Environment", "Security & Conflict")
LIVE_STATUSES = (RiskStatus.OPEN, RiskStatus.DRAFT, RiskStatus.CLOSED)


def values(rnd: random.Random, owner: int, sites: list[int | None]) -> dict[str, Any]:
    il, ii = rnd.randint(1, 5), rnd.randint(1, 5)
    has_target = rnd.random() < 0.5
    data = {name: None for name in services.EDITABLE_FIELDS}
    return data | {
        "title": f"Risk {rnd.getrandbits(32):x}",
        "description": "",
        "cause": "",
        "consequence": "",
        "site_id": rnd.choice(sites),
        "direction": rnd.choice(list(Direction)),
        "category": rnd.choice(CATEGORIES),
        "impact_area": ImpactArea.SOCIAL,
        "owner_id": owner,
        "inherent_likelihood": il,
        "inherent_impact": ii,
        "residual_likelihood": rnd.randint(1, il),
        "residual_impact": rnd.randint(1, ii),
        "target_likelihood": 1 if has_target else None,
        "target_impact": 1 if has_target else None,
        "treatment": Treatment.REDUCE,
        "status": rnd.choice(LIVE_STATUSES),
    }


def editable(risk: Risk) -> dict[str, Any]:
    return {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}


def live_risks() -> list[Risk]:
    return list(db.session.scalars(sa.select(Risk).order_by(Risk.id)))


def test_counts_equal_a_recount_after_random_changes_through_every_writer(users, make_site):
    rnd = random.Random(17)
    actor, owner = users["risk_manager"], users["risk_manager"].id
    sites: list[int | None] = [make_site(name=f"Mine {n}").id for n in range(3)] + [None]
    names = bulk.Names(
        sites={s: f"Mine {s}" for s in sites if s}, owners={u.id: u.name for u in users.values()}
    )
    scale.seed_scale(
        scale.ScaleOptions(risks=40, sites=2, users=3, audit_events_per_risk=1), allow_real_data=True
    )
    db.session.commit()
    assert counts.differences() == 0 and counts.current()
    for step in range(60):
        risks = live_risks()
        risk = rnd.choice(risks)
        action = step % 6
        if action == 0:
            services.create_risk(values(rnd, owner, sites), actor)
        elif action == 1 and risk.editable:
            change = values(rnd, owner, sites) | {"title": risk.title}
            services.update_risk(risk, change, actor, risk.version)
            control = rnd.choice(list(db.session.scalars(sa.select(Control))))
            control.status = rnd.choice(list(ControlStatus))
            control.due_date = rnd.choice([None, today() - timedelta(days=3), today() + timedelta(days=9)])
            control.owner_id = rnd.choice([None, owner])
        elif action == 2:
            if risk.status is RiskStatus.ARCHIVED:
                services.restore_risk(risk, actor)
            else:
                services.archive_risk(risk, actor, "test")
        elif action == 3:
            chosen = [r for r in rnd.sample(risks, 5) if r.editable]
            new_site = rnd.choice([s for s in sites if s])
            bulk_services.change_risks(
                {r.id: r.version for r in chosen}, {"site_id": new_site, "status": RiskStatus.DRAFT}, actor
            )
        elif action == 4:  # the import's bulk path: new risks and edits in a few statements
            bulk.create_risks([values(rnd, owner, sites) for _ in range(4)], actor, names)
            chosen = [r for r in rnd.sample(risks, 4) if r.editable]
            edits = [bulk.Edit(r, r.version, editable(r) | values(rnd, owner, sites)) for r in chosen]
            bulk.update_risks(edits, actor, names)
            db.session.expire_all()
        else:  # a risk deleted outright (no writer does today; the counts must not care)
            fresh = services.create_risk(values(rnd, owner, sites), actor)
            db.session.flush()
            db.session.execute(sa.delete(Risk).where(Risk.id == fresh.id))
        if rnd.random() < 0.2:
            db.session.rollback()  # a change given up: its counts go with it
        else:
            db.session.commit()
        assert counts.differences() == 0, f"after step {step} (action {action})"
    assert sum(counts.current().values()) == 12 * db.session.scalar(sa.select(sa.func.count(Risk.id)))
    kept = dashboard_queries.control_rows(RiskFilters(), today())
    live_tally = dashboard_queries.live_tally(today(), [sa.true()]).subquery()
    live = dashboard_queries._department_rows(dashboard_queries._department_select(live_tally))
    assert kept == live and sum(row.total for row in kept)


def test_the_dashboard_grid_reads_the_kept_counts(users, make_risk, make_site):
    site = make_site(name="Nyota")
    make_risk(site_id=site.id, residual_likelihood=3, residual_impact=3)
    make_risk(site_id=None, residual_likelihood=3, residual_impact=3)
    make_risk(site_id=site.id, residual_likelihood=2, residual_impact=3, status=RiskStatus.DRAFT)
    grid = dashboard_queries.grid(RiskFilters(site=site.id, status=RiskStatus.OPEN), "residual")
    assert grid.cells[(3, 3)].count == 1 and grid.cells[(2, 3)].count == 0
    # The grid follows the table, not the risks: a count written by hand shows (the repair fixes it).
    db.session.execute(
        sa.update(RiskCellCount)
        .where(RiskCellCount.basis == "residual", RiskCellCount.site_key == site.id)
        .where(RiskCellCount.likelihood == 3, RiskCellCount.impact == 3)
        .values(risk_count=7)
    )
    assert (
        dashboard_queries.grid(RiskFilters(site=site.id, status=RiskStatus.OPEN), "residual")
        .cells[(3, 3)]
        .count
        == 7
    )
    assert counts.recount() == 2  # the site's row and its category's
    assert counts.recount() == 0
    all_open = dashboard_queries.grid(RiskFilters(status=RiskStatus.OPEN), "residual")
    assert all_open.cells[(3, 3)].count == 2


def test_recount_command_repairs_and_check_reports(app, runner, make_risk):
    make_risk()
    db.session.execute(sa.update(RiskCellCount).values(risk_count=RiskCellCount.risk_count + 5))
    db.session.commit()
    checked = runner.invoke(args=["dashboard", "recount", "--check"])
    assert checked.exit_code == 1 and "risks and controls: 12" in checked.output
    repaired = runner.invoke(args=["dashboard", "recount"])
    assert repaired.exit_code == 0 and "12 were wrong" in repaired.output
    assert runner.invoke(args=["dashboard", "recount", "--check"]).exit_code == 0


def test_the_direction_table_reads_the_kept_counts_and_equals_the_group_by(users, make_site, monkeypatch):
    site = make_site(name="Kivu")
    scale.seed_scale(
        scale.ScaleOptions(risks=60, sites=2, users=3, audit_events_per_risk=1), allow_real_data=True
    )
    db.session.commit()
    cases = [
        RiskFilters(),
        RiskFilters(status=RiskStatus.OPEN),
        RiskFilters(site=site.id),
        RiskFilters(corporate=True),
    ]
    cases += [RiskFilters(direction=Direction.TO_ASM, category=CATEGORIES[1])]
    kept = [dashboard_queries.band_counts_by_direction(f) for f in cases]
    assert sum(sum(c.values()) for c in kept[0].values()) > 0
    # A count written by hand shows: the table reads risk_cell_counts, not the risks.
    db.session.execute(
        sa.update(RiskCellCount)
        .where(RiskCellCount.basis == "residual", RiskCellCount.site_key == counts.ALL_SITES)
        .where(RiskCellCount.category == counts.ALL_CATEGORIES, RiskCellCount.status == "open")
        .values(risk_count=RiskCellCount.risk_count + 1000)
    )
    tampered = dashboard_queries.band_counts_by_direction(RiskFilters(status=RiskStatus.OPEN))
    assert sum(sum(c.values()) for c in tampered.values()) > 1000
    db.session.rollback()
    monkeypatch.setattr(counts, "can_answer", lambda filters: False)  # the GROUP BY over the risks
    assert [dashboard_queries.band_counts_by_direction(f) for f in cases] == kept


def test_the_scale_seed_rebuilds_the_counts_and_the_search_index(users):
    from riskreg.search import queries as search_queries

    def found(q: str) -> list[int]:
        return [hit.id for hit in search_queries.search(q, ["risk"]).hits.get("risk", [])]

    scale.seed_scale(
        scale.ScaleOptions(risks=30, sites=2, users=3, audit_events_per_risk=1), allow_real_data=True
    )
    db.session.commit()
    assert counts.differences() == 0 and counts.current()
    risk = db.session.scalars(sa.select(Risk).order_by(Risk.id.desc())).first()
    assert risk.id in found(risk.ref)  # the seeded rows are in the index, rebuilt once
    # the triggers are back: a later write keeps both the counts and the index
    risk.status, risk.title = RiskStatus.ARCHIVED, "Zebraquartz seepage"
    db.session.commit()
    assert counts.differences() == 0 and found("zebraquartz") == [risk.id]


def control_row(n: int, department: int, status: ControlStatus, due: date | None, owner: int | None) -> dict:
    return {
        "title": f"Control {n}",
        "description": "",
        "department_id": department,
        "status": status,
        "due_date": due,
        "owner_id": owner,
    }


def kept_per_kind() -> Counter[str]:
    """The controls counted under each kind of key of control_counts."""
    found: Counter[str] = Counter()
    for key, count in counts.current(counts.CONTROLS).items():
        found[key[0]] += count
    return found


def open_controls(*where: Any) -> sa.ColumnElement[bool]:
    return sa.and_(Control.status.in_(OPEN_CONTROL_STATUSES), *where)


def test_control_counts_equal_a_recount_after_control_writes_of_every_kind(users, make_user):
    rnd = random.Random(23)
    first, second, third = db.session.scalars(sa.select(Department.id).order_by(Department.id)).all()[:3]
    manager = users["risk_manager"].id
    owners = [None, manager, make_user(active=False).id]
    on = today()
    dues = [None, date(on.year - 1, 12, 31), on.replace(day=1), on - timedelta(days=1), on]
    dues += [on + timedelta(days=40), date(on.year + 1, 1, 1)]

    def random_row(n: int) -> dict:
        status, due, owner = rnd.choice(list(ControlStatus)), rnd.choice(dues), rnd.choice(owners)
        return control_row(n, rnd.choice([first, second, third]), status, due, owner)

    def check(step: str) -> None:
        assert counts.differences() == 0, f"after {step}"
        total = db.session.scalar(sa.select(sa.func.count(Control.id)))
        assert kept_per_kind()[counts.ALL] == total, f"after {step}"

    # one INSERT of many rows: PostgreSQL's statement trigger sees them all in one transition table
    db.session.execute(sa.insert(Control.__table__).values([random_row(n) for n in range(80)]))
    check("a multi-row insert")
    kinds = kept_per_kind()
    assert set(kinds) == {counts.ALL, counts.OWNER, counts.YEAR, counts.MONTH, counts.DAY}
    open_count = db.session.scalar(sa.select(sa.func.count()).where(open_controls()))
    assert kinds[counts.OWNER] == kinds[counts.DAY] == open_count < kinds[counts.ALL]
    db.session.commit()

    for control in rnd.sample(list(db.session.scalars(sa.select(Control))), 30):  # ORM flushes, row by row
        control.status, control.due_date = rnd.choice(list(ControlStatus)), rnd.choice(dues)
        control.owner_id, control.department_id = rnd.choice(owners), rnd.choice([first, second])
    db.session.commit()
    check("edits through the ORM")
    bulk = [
        (
            "open ones closed",
            sa.update(Control).where(open_controls(Control.department_id == first)),
            {"status": ControlStatus.IMPLEMENTED},
        ),
        (
            "closed ones reopened",
            sa.update(Control).where(
                Control.department_id == second, Control.status.not_in(OPEN_CONTROL_STATUSES)
            ),
            {"status": ControlStatus.PLANNED, "due_date": date(on.year - 2, 6, 30)},
        ),
        ("owners gone", sa.update(Control).where(Control.owner_id == manager), {"owner_id": None}),
        (
            "dates moved",
            sa.update(Control).where(Control.due_date < on),
            {"due_date": on + timedelta(days=3)},
        ),
        ("dates dropped", sa.update(Control).where(Control.department_id == third), {"due_date": None}),
        (
            "a department merged",
            sa.update(Control).where(Control.department_id == third),
            {"department_id": first},
        ),
    ]
    for step, statement, values in bulk:
        assert db.session.execute(
            statement.values(values).execution_options(synchronize_session=False)
        ).rowcount
        check(step)
    before = counts.current(counts.CONTROLS)
    db.session.execute(sa.update(Control).values(title=Control.title + " (renamed)"))
    assert counts.current(counts.CONTROLS) == before  # no counted column changed: no count moved
    db.session.commit()

    db.session.execute(
        sa.update(Control).where(Control.department_id == first).values(status=ControlStatus.VERIFIED)
    )
    db.session.rollback()  # a change given up: its counts go with it
    assert counts.current(counts.CONTROLS) == before
    doomed = db.session.scalars(sa.select(Control.id).order_by(Control.id).limit(25)).all()
    assert db.session.execute(sa.delete(Control).where(Control.id.in_(doomed))).rowcount == 25
    check("a multi-row delete")
    db.session.delete(db.session.scalars(sa.select(Control).where(open_controls())).first())
    db.session.commit()
    check("a delete through the ORM")


# due dates around 15 March 2026 (the `on` dates below): earlier years, this year's earlier
# months and this month's earlier days are late; the day itself and anything after it is not
DUES = [None, date(2024, 6, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 1)]
DUES += [date(2026, 3, 14), date(2026, 3, 15), date(2026, 3, 16), date(2026, 4, 1), date(2027, 1, 1)]
ONS = [date(2026, 3, 15), date(2026, 1, 1), date(2026, 3, 1), date(2027, 1, 10), date(2024, 1, 1)]


def test_the_departments_table_reads_the_kept_counts_and_equals_the_live_tally(users, make_user, make_risk):
    risk = make_risk()
    gone, leaving = make_user(active=False), make_user()
    departments = db.session.scalars(sa.select(Department.id).order_by(Department.id)).all()
    owners = [None, users["risk_manager"].id, gone.id, leaving.id]
    combinations = itertools.product(departments[:2], ControlStatus, DUES, owners)
    rows = [control_row(n, *combination) for n, combination in enumerate(combinations)]
    db.session.execute(sa.insert(Control.__table__).values(rows))
    db.session.execute(
        sa.insert(risk_controls).from_select(
            ["risk_id", "control_id"], sa.select(sa.literal(risk.id), Control.id)
        )
    )
    db.session.commit()

    def expected(on: date, inactive: set[int]) -> dict[int, tuple[int, ...]]:
        """(total, done, overdue, ownerless, undated) per department, counted here from the rows."""
        figures = {department: [0, 0, 0, 0, 0] for department in departments}
        for row in rows:
            status, due, owner = row["status"], row["due_date"], row["owner_id"]
            is_open = status in OPEN_CONTROL_STATUSES
            counted = [
                status is not ControlStatus.CANCELLED,
                status in DONE_CONTROL_STATUSES,
                is_open and due is not None and due < on,
                is_open and (owner is None or owner in inactive),
                is_open and due is None,
            ]
            tally = figures[row["department_id"]]
            figures[row["department_id"]] = [a + b for a, b in zip(tally, counted, strict=True)]
        return {department: tuple(values) for department, values in figures.items()}

    def kept(on: date) -> list:
        return dashboard_queries.control_rows(RiskFilters(), on)

    def live(on: date) -> list:
        tally = dashboard_queries.live_tally(on, [sa.true()]).subquery()
        return dashboard_queries._department_rows(dashboard_queries._department_select(tally))

    def figures(rows: list) -> dict[int, tuple[int, ...]]:
        return {row.id: (row.total, row.done, row.overdue, row.ownerless, row.undated) for row in rows}

    for inactive in ({gone.id}, {gone.id, leaving.id}):
        for on in ONS:
            assert figures(kept(on)) == expected(on, inactive), (on, inactive)
            assert kept(on) == live(on), (on, inactive)
        leaving.active = False  # read at query time: no count is rewritten when a user leaves
        db.session.commit()
    # the rows are as meant: per department 5 statuses x 11 due dates x 4 owners; on 15 March,
    # 2 open statuses x 6 late dates x 4 owners are overdue, 2 x 11 x 2 (none, gone) ownerless
    assert expected(ONS[0], {gone.id})[departments[0]] == (4 * 44, 2 * 44, 2 * 6 * 4, 2 * 11 * 2, 2 * 4)
    # The kept table is what the unfiltered dashboard reads: a count written by hand shows.
    db.session.execute(
        sa.update(ControlCount)
        .where(ControlCount.kind == counts.ALL, ControlCount.department_id == departments[0])
        .values(control_count=ControlCount.control_count + 100)
    )
    assert figures(kept(ONS[0]))[departments[0]][0] > figures(live(ONS[0]))[departments[0]][0]


def test_any_filter_the_counts_do_not_keep_makes_them_count_the_risks():
    """A filter added to RiskFilters is not answered from the kept counts until they keep it (the
    grievance filter once got the whole register's band counts beside its few rows)."""
    assert counts.can_answer(RiskFilters(site=3, direction=Direction.TO_ASM, category="Environment"))
    samples = {int: 1, str: "x", bool: True}
    for field in dataclasses.fields(RiskFilters):
        if field.name in counts.ANSWERED_FILTERS:
            continue
        kind = next(kind for kind in samples if kind.__name__ in str(field.type))
        assert not counts.can_answer(RiskFilters(**{field.name: samples[kind]})), field.name


def test_one_read_of_the_residual_counts_feeds_the_heatmap_and_the_direction_table(users, clients):
    """No direction chosen: the residual heatmap and the table of bands per direction are the same
    kept rows, read once; with a direction chosen, the table still counts every direction."""
    from tests.conftest import statements

    scale.seed_scale(
        scale.ScaleOptions(risks=60, sites=2, users=3, audit_events_per_risk=1), allow_real_data=True
    )
    db.session.commit()

    def cell_statements(path: str) -> list[str]:
        with statements() as seen:
            assert clients["executive"].get(path).status_code == 200
        return [s for s in seen if "FROM risk_cell_counts" in s]

    assert len(cell_statements("/dashboard")) == 2  # inherent, and residual for both
    assert len(cell_statements("/dashboard?direction=to_asm")) == 3  # residual of one direction, and of all
    shared = dashboard_queries.shared_residual_rows(RiskFilters(status=RiskStatus.OPEN))
    assert shared == counts.cell_rows(RiskFilters(status=RiskStatus.OPEN), "residual") and shared
    for filters in (RiskFilters(status=RiskStatus.OPEN), RiskFilters(corporate=True)):
        rows = dashboard_queries.shared_residual_rows(filters)
        assert dashboard_queries.band_counts_by_direction(filters, "residual", rows) == (
            dashboard_queries.band_counts_by_direction(filters)
        )
        assert dashboard_queries.grid(filters, "residual", rows) == dashboard_queries.grid(
            filters, "residual"
        )
    assert dashboard_queries.shared_residual_rows(RiskFilters(direction=Direction.TO_ASM)) is None
