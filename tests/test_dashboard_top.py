"""The dashboard's top ten: the worst residual risks, ties broken by score, impact and id, under
every filter, in one statement."""

from __future__ import annotations

import random

import sqlalchemy as sa

from riskreg.auth.models import Role, User
from riskreg.dashboard import queries
from riskreg.dashboard.filters import with_basis
from riskreg.dashboard.heatmap import Grid
from riskreg.extensions import db
from riskreg.risks import filters as risk_filters
from riskreg.risks import services as risk_services
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.sites.models import Site
from tests.conftest import statements

# (likelihood, impact): extreme 25, 20 (impact 5, then 4), 16, 15, 10; high 12 and 5; low 1
CELLS = [(5, 5), (5, 4), (4, 5), (4, 4), (3, 5), (2, 5), (4, 3), (1, 5), (1, 1)]
CATEGORIES = ("Environment", "Security & Conflict")
STATUSES = (RiskStatus.OPEN, RiskStatus.OPEN, RiskStatus.DRAFT, RiskStatus.CLOSED, RiskStatus.ARCHIVED)


def case_ordered_ids(filters: RiskFilters, residual: Grid, limit: int) -> list[int]:
    """The top ten as one ORDER BY over a CASE of the chosen cells' band ranks, over every risk of
    those cells (the statement before ix_risks_residual_top): the reference for order and ties."""
    cells = queries.top_cells(residual, limit)
    people = queries.people_expr()
    conditions = [
        sa.and_(Risk.residual_likelihood == lk, Risk.residual_impact == im, people if is_people else ~people)
        for lk, im, is_people, _rank in cells
    ]
    if not conditions:
        return []
    rank = sa.case(*((condition, r) for condition, (*_, r) in zip(conditions, cells, strict=True)), else_=-1)
    stmt = (
        sa.select(Risk.id)
        .join(User, User.id == Risk.owner_id)
        .outerjoin(Site, Site.id == Risk.site_id)
        .where(*risk_filters.conditions(with_basis(filters, "residual"), include_band=False))
        .where(sa.or_(*conditions))
        .order_by(rank.desc(), Risk.residual_score.desc(), Risk.residual_impact.desc(), Risk.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def test_the_top_ten_keeps_the_order_and_ties_of_one_sort_over_the_chosen_cells(
    users, make_risk, make_site, make_user
):
    rnd = random.Random(10)
    sites = [make_site(name="Obuasi").id, make_site(name="Tarkwa").id, None]
    owners = [users["risk_manager"].id, make_user(Role.RISK_MANAGER, name="Rex Risk").id]
    for n in range(70):  # the worst cells filled in random order: ids interleave across cells
        lk, im = rnd.choice(CELLS)
        status = rnd.choice(STATUSES)
        risk = make_risk(
            title=f"{'Tailings' if n % 4 == 0 else 'Access'} risk {n}",
            site_id=rnd.choice(sites),
            direction=rnd.choice(list(Direction)),
            category=rnd.choice(CATEGORIES),
            owner_id=rnd.choice(owners),
            inherent_likelihood=5,
            inherent_impact=5,
            residual_likelihood=lk,
            residual_impact=im,
            status=RiskStatus.OPEN if status is RiskStatus.ARCHIVED else status,
        )
        if status is RiskStatus.ARCHIVED:  # archived only through its own service
            risk_services.archive_risk(risk, users["risk_manager"], "test")
            db.session.commit()
    cases = [
        RiskFilters(),
        RiskFilters(status=RiskStatus.OPEN),
        RiskFilters(status=RiskStatus.ARCHIVED),
        RiskFilters(direction=Direction.TO_COMPANY),
        RiskFilters(direction=Direction.TO_ASM),
        RiskFilters(site=sites[0]),
        RiskFilters(corporate=True),
        RiskFilters(category=CATEGORIES[0], status=RiskStatus.DRAFT),
        RiskFilters(owner=owners[1]),
        RiskFilters(q="tailings"),
        RiskFilters(flagged=False),
    ]
    for filters in cases:
        grid = queries.grid(filters, "residual")
        for limit in (3, 10, 25):
            expected = case_ordered_ids(filters, grid, limit)
            with statements(sql_only=True) as sent:
                top = queries.top_residual(filters, grid, limit)
            assert [risk.id for risk in top] == expected, (filters, limit)
            assert len(sent) == 1
    # the register is as meant: the first ten span cells whose risks' ids interleave
    grid = queries.grid(RiskFilters(), "residual")
    top = queries.top_residual(RiskFilters(), grid)
    assert len(top) == 10 and len({(risk.likelihood, risk.impact, risk.direction) for risk in top}) > 2
    assert [risk.id for risk in top] != sorted(risk.id for risk in top)


def test_no_chosen_cell_still_runs_the_one_statement(users):
    grid = queries.grid(RiskFilters(), "residual")
    with statements(sql_only=True) as sent:
        assert queries.top_residual(RiskFilters(), grid) == []
    assert len(sent) == 1
