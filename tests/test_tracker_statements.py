"""The controls tracker's statements (its rows and its count table), built once per shape of filters
and day and run with the department, owner, risk, site and search text bound
(riskreg.controls.filters.BOUND): each value reaches the database, and each page equals the one a
statement built with the values gives."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.controls import filters as control_filters
from riskreg.controls import queries
from riskreg.controls.filters import parse_control_filters
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.modeling import today
from tests.conftest import department_id
from tests.controls_support import new_control


@pytest.fixture
def tracker(users, make_user, make_site, make_risk):
    """Controls of two departments over two sites' risks and a corporate one, owned or not, some
    overdue, some with a search word."""
    sites = [make_site().id, make_site().id]
    risks = [make_risk(site_id=sites[0]), make_risk(site_id=sites[1]), make_risk(site_id=None)]
    actor = users["risk_manager"]
    make_user("department_head", department="Legal")  # who a Legal control without an owner falls to
    for n in range(12):
        new_control(
            actor,
            department=("Security", "Legal")[n % 2],
            risks=[risks[n % 3]],
            title=f"Control {n} {'fence_100%' if n % 4 == 0 else 'patrol'}",
            owner_id=users["department_head"].id if n % 2 == 0 and n % 3 else None,  # Security's head
            due_date=today() + timedelta(days=(n - 5) * 3),
        )
    return {"sites": sites, "risks": [risk.id for risk in risks], "owner": users["department_head"].id}


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context("/controls"):  # the rows' links are built for a request
        yield


def names() -> dict[int, str]:
    return dict(db.session.execute(sa.text("SELECT id, name FROM departments")).all())


def page_ids(args: dict) -> list[int]:
    page, _table = queries.tracker_rows(parse_control_filters(args), 1, 50, today(), names())
    return [row.id for row in page.items]


def ids_built_with_values(args: dict) -> list[int]:
    filters = parse_control_filters(args)
    stmt = (
        sa.select(Control.id)
        .where(*control_filters.conditions(filters, today()))
        .order_by(*control_filters.order_by(filters))
        .limit(50)
    )
    return list(db.session.scalars(stmt))


def test_every_shape_gives_the_page_its_values_give(tracker):
    site, other = tracker["sites"]
    cases = [
        {},
        {"status": "open"},
        {"department": str(department_id("Security"))},
        {"department": str(department_id("Legal")), "status": "done"},
        {"owner": str(tracker["owner"]), "sort": "-updated"},
        {"owner": "none"},
        {"site": str(site)},
        {"site": str(other), "overdue": "1"},
        {"site": "corporate", "due_within": "10"},
        {"risk": str(tracker["risks"][1]), "sort": "ref"},
        {"q": "fence_100%"},  # % and _ are the text's own characters
        {"q": "PATROL", "due": "none"},
    ]
    for args in cases:
        assert page_ids(args) == ids_built_with_values(args), args
    assert len(page_ids({"q": "fence_100%"})) == 3 and page_ids({"q": "fence_1000"}) == []


def test_one_statement_serves_every_department_and_counts_its_own(tracker):
    queries._tracker_statement.cache_clear()
    queries._count_statement.cache_clear()
    security, legal = department_id("Security"), department_id("Legal")
    shown = {}
    for department in (security, legal):
        filters = parse_control_filters({"department": str(department)})
        page, table = queries.tracker_rows(filters, 1, 50, today(), names())
        shown[department] = {row.id for row in page.items}
        assert [row.department_id for row in table.rows] == [department]
        assert table.totals.total == 6
    for cached in (queries._tracker_statement, queries._count_statement):
        assert (cached.cache_info().misses, cached.cache_info().hits) == (1, 1)  # one shape, two values
    for department, ids in shown.items():
        expected = db.session.scalars(sa.select(Control.id).where(Control.department_id == department))
        assert ids == set(expected) and len(ids) == 6


def test_the_bound_values_name_every_parameter_of_the_statements(tracker):
    args = {"department": "1", "owner": "2", "risk": "3", "site": "4", "q": "fence"}
    filters = parse_control_filters(args)
    dialect = db.session.get_bind().dialect
    for stmt, extra in (
        (queries._tracker_statement(control_filters.shape(filters), today()), {"page_limit", "page_offset"}),
        (queries._count_statement(control_filters.shape(filters), today()), set()),
    ):
        binds = stmt.compile(dialect=dialect).binds
        required = {name for name, bind in binds.items() if bind.required}
        assert required == set(control_filters.bound_values(filters)) | extra
