"""The register page's statement, built once per shape of filters and run with their values bound
(riskreg.risks.filters.BOUND): every value reaches the database, what a filter's SQL reads (the
stored appetites, the severe level, the day) keys the statement, and each page equals the one a
statement built with the values would give."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from riskreg.appetite import services as appetite_services
from riskreg.extensions import db
from riskreg.risks import filters as risk_filters
from riskreg.risks import queries
from riskreg.risks.filters import RiskFilters, parse_risk_filters
from riskreg.risks.models import Direction, Risk, RiskStatus

HS = "Health & Safety"


@pytest.fixture
def varied(users, make_site, make_risk):
    """Twelve risks over two sites and corporate, three directions, two owners and categories,
    scores from low to extreme, one archived."""
    sites = [make_site().id, make_site().id, None]
    directions = [Direction.TO_COMPANY, Direction.TO_ASM, Direction.TO_COMMUNITIES]
    owners = [users["risk_manager"].id, users["department_head"].id]
    made = []
    for n, (site, direction) in enumerate(itertools.product(sites, directions)):
        made.append(
            make_risk(
                title=f"Risk {n} {'mercury' if n % 2 else 'dust'}",
                site_id=site,
                direction=direction,
                owner_id=owners[n % 2],
                category=HS if n % 3 else "Land Access & Tenure",
                inherent_likelihood=5,
                inherent_impact=5,
                residual_likelihood=1 + n % 5,
                residual_impact=1 + (n * 2) % 5,
            )
        )
    made[-1].status = RiskStatus.ARCHIVED
    db.session.commit()
    return {"sites": sites, "owners": owners}


def ids_built_with_values(filters: RiskFilters) -> list[int]:
    """The page as a statement built with the filters' own values would give it (no cache)."""
    stmt = risk_filters.join_sort_tables(sa.select(Risk.id), filters).where(*risk_filters.conditions(filters))
    return list(db.session.scalars(stmt.order_by(*risk_filters.order_by(filters)).limit(50)))


def page_ids(args: dict) -> list[int]:
    return [row.id for row in queries.register_page(parse_risk_filters(args), 1, 50).risks]


def test_every_shape_gives_the_page_its_values_give(varied):
    site, other = varied["sites"][:2]
    owner = varied["owners"][1]
    cases = [
        {},
        {"site": str(site)},
        {"site": str(other), "direction": "to_asm"},
        {"site": "corporate", "sort": "title"},
        {"owner": str(owner), "sort": "-updated"},
        {"category": HS, "status": "open"},
        {"status": "archived"},
        {"q": "mercury", "site": str(site)},
        {"q": "me"},  # under a trigram: the plain scan
        {"band": "high", "basis": "residual"},
        {"likelihood": "3", "impact": "5"},
        {"review": "overdue"},
        {"flagged": "no", "sort": "owner"},
    ]
    for args in cases:
        expected = ids_built_with_values(parse_risk_filters(args))
        assert page_ids(args) == expected, args
    assert page_ids({"q": "mercury"}) and not page_ids({"q": "nowhere-to-be-found"})


def test_one_statement_serves_every_value_of_a_filter(varied):
    site, other, _corporate = varied["sites"]
    queries._numbered_page_statement.cache_clear()
    first = page_ids({"site": str(site)})
    second = page_ids({"site": str(other)})
    info = queries._numbered_page_statement.cache_info()
    assert (info.misses, info.hits) == (1, 1)  # one shape, two values
    for shown, where in ((first, site), (second, other)):
        assert len(shown) == 3
        assert set(shown) == set(db.session.scalars(sa.select(Risk.id).where(Risk.site_id == where)))


def test_the_bound_values_name_every_parameter_of_the_statement(app, varied):
    cases = (
        {},
        {"site": "1", "direction": "to_asm", "q": "mercury", "owner": "2"},
        {"q": "ab"},
        {"category": HS, "status": "draft", "likelihood": "2", "impact": "4", "department": "1"},
    )
    for args in cases:
        filters = parse_risk_filters(args)
        stmt = queries._numbered_page_statement(*queries.statement_key(filters))
        binds = stmt.compile(dialect=db.session.get_bind().dialect).binds
        required = {name for name, bind in binds.items() if bind.required}  # not a literal of the shape
        assert required == set(risk_filters.bound_values(filters)) | {"page_limit", "page_offset"}, args


def test_a_changed_appetite_is_read_by_the_next_page(users, make_risk):
    risk = make_risk(category=HS, residual_likelihood=4, residual_impact=4)  # a high or extreme band
    appetite_services.set_appetites({HS: "medium"}, users["admin"])
    db.session.commit()
    assert page_ids({"appetite": "above"}) == [risk.id]
    appetite_services.set_appetites({HS: "extreme"}, users["admin"])
    db.session.commit()
    assert page_ids({"appetite": "above"}) == []
    assert page_ids({"appetite": "within"}) == [risk.id]


def test_the_dashboards_review_count_is_the_one_its_values_give(varied):
    """The dashboard's "past their review date" (riskreg.dashboard.queries.review_overdue), built
    once per shape and day: every shape counts what a statement built with the values counts."""
    from datetime import timedelta

    from riskreg.dashboard import queries as dashboard
    from riskreg.modeling import today
    from riskreg.reviews import rules

    site, other = varied["sites"][:2]
    risks = list(db.session.scalars(sa.select(Risk).order_by(Risk.id)))
    for n, risk in enumerate(risks):  # every other risk a day past its review
        risk.next_review_date = today() + timedelta(days=-1 if n % 2 else 30)
    db.session.commit()
    dashboard._review_overdue_statement.cache_clear()
    cases = (
        {},
        {"site": str(site)},
        {"site": str(other)},
        {"site": str(other), "direction": "to_asm"},
        {"category": HS},
    )
    for args in cases:
        filters = parse_risk_filters(args)
        expected = db.session.scalar(
            sa.select(sa.func.count(Risk.id)).where(
                *risk_filters.conditions(filters, include_band=False), rules.overdue_condition(today())
            )
        )
        assert dashboard.review_overdue(filters, today()) == expected, args
    assert dashboard.review_overdue(parse_risk_filters({}), today()) > 0
    info = dashboard._review_overdue_statement.cache_info()
    assert (info.misses, info.hits) == (4, 2)  # two sites, one shape; then {} again
