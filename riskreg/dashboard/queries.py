"""Dashboard numbers, each from one SQL aggregation: the page makes the same queries at any size."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa

from riskreg import reads, scoring
from riskreg.auth.models import User
from riskreg.controls import filters as control_filters
from riskreg.controls.models import (
    DONE_CONTROL_STATUSES,
    OPEN_CONTROL_STATUSES,
    Control,
    ControlStatus,
    risk_controls,
)
from riskreg.dashboard import counts
from riskreg.dashboard.filters import with_basis
from riskreg.dashboard.heatmap import Grid, build_grid
from riskreg.departments.models import Department
from riskreg.reviews import rules as review_rules
from riskreg.risks import filters as risk_filters
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Direction, Risk
from riskreg.sites.models import AsmPresence, Site

TOP_LIMIT = 10


def people_expr(directions: tuple[str, ...] | None = None) -> sa.ColumnElement[bool]:
    """SQL for "a risk to people" (the people-first rule's directions: the matrix's, or
    `directions` already read from it)."""
    return Risk.direction.in_(
        sorted(scoring.matrix().people_directions if directions is None else directions)
    )


def grid(filters: RiskFilters, basis: str, rows: CellRows | None = None) -> Grid:
    """Counts per (likelihood, impact, direction): from the maintained counts when the filters are
    theirs (site, direction, category, status), else one GROUP BY of at most 78 rows. `rows`: the
    maintained counts' rows of these filters, already read (shared_residual_rows).

    Grouping by the direction column itself (not "is it to people") lets the database read the
    rows in the order of the covering index ix_risks_<basis>_cell, with no sort.
    """
    if rows is not None:
        return build_grid(rows, scoring.matrix(), basis)
    if counts.can_answer(filters):  # the maintained counts: the same rows at any register size
        return build_grid(counts.cell_rows(filters, basis), scoring.matrix(), basis)
    likelihood, impact = risk_filters.basis_columns(basis)
    stmt = (
        sa.select(likelihood, impact, Risk.direction, sa.func.count())
        .where(*risk_filters.conditions(with_basis(filters, basis), include_band=False))
        .group_by(likelihood, impact, Risk.direction)
    )
    return build_grid(reads.rows(stmt), scoring.matrix(), basis)


CellRows = list[tuple[Any, Any, str, int]]


def shared_residual_rows(filters: RiskFilters) -> CellRows | None:
    """The residual heatmap's rows when they are also the rows of the table of bands per direction
    (no direction chosen, and the maintained counts answer): one read for both, else None.

    cell_rows reads only the filters' scope, direction and status, which both callers give alike."""
    if filters.direction is not None or not counts.can_answer(filters):
        return None
    return counts.cell_rows(filters, "residual")


@dataclass(frozen=True)
class TopRisk:
    id: int
    ref: str
    title: str
    site: str | None
    owner: str
    likelihood: int
    impact: int
    band: scoring.Band
    direction: Direction

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


def top_cells(residual: Grid, limit: int = TOP_LIMIT) -> list[tuple[int, int, bool, int]]:
    """The fewest (likelihood, impact, people) groups that hold the `limit` worst residual risks.

    Worst = highest band (people-first rule included), then score, then impact. Restricting the
    query to these cells lets the index on the residual cell do the work on a large register.
    """
    groups: list[tuple[tuple[int, int, int], int, int, bool, int]] = []
    for cell in residual.cells.values():
        others = cell.count - cell.people_count
        if others:
            key = (cell.band.rank, cell.score, cell.impact)
            groups.append((key, cell.likelihood, cell.impact, False, others))
        if cell.people_count:
            key = (cell.people_band.rank, cell.score, cell.impact)
            groups.append((key, cell.likelihood, cell.impact, True, cell.people_count))
    groups.sort(key=lambda group: group[0], reverse=True)
    chosen: list[tuple[int, int, bool, int]] = []
    held, last_key = 0, None
    for key, likelihood, impact, people, count in groups:
        if held >= limit and key != last_key:  # ties with the last one taken come too
            break
        chosen.append((likelihood, impact, people, key[0]))
        held, last_key = held + count, key
    return chosen


def top_residual(filters: RiskFilters, residual: Grid, limit: int = TOP_LIMIT) -> list[TopRisk]:
    """The worst residual risks with their owners and sites, in one query.

    Within a chosen group (cell, people or not) the risks tie on band, score and impact, so their
    order is their id's: each group's first `limit` risks are read in the order of
    ix_risks_residual_top, without a sort (one LIMIT-ed arm per group), and the worst `limit` of
    those are taken by band rank, score, impact and id.
    """
    cells = top_cells(residual, limit)  # none: the query still runs (and finds nothing), so the
    shape = tuple(is_people for _, _, is_people, _ in cells)  # page's statement count never depends
    people = tuple(sorted(scoring.matrix().people_directions))  # on the data
    # The statement of a shape (how many arms, which are to people) is built once when its filters
    # put no date or setting into the SQL (those the kept counts answer); the cells are parameters.
    build = _top_statement if counts.can_answer(filters) else _top_statement.__wrapped__
    stmt = build(filters, shape, people, limit)
    params: dict[str, int] = {}
    for n, (likelihood, impact, _, rank) in enumerate(cells):
        params |= {f"top_lk_{n}": likelihood, f"top_im_{n}": impact, f"top_rank_{n}": rank}
    matrix = scoring.matrix()
    return [
        TopRisk(rid, ref, title, site, owner, lk, im, matrix.band(lk, im, direction), direction)
        for rid, ref, title, site, owner, lk, im, direction in reads.rows(stmt, params)
    ]


@functools.lru_cache(maxsize=256)
def _top_statement(
    filters: RiskFilters, shape: tuple[bool, ...], people_directions: tuple[str, ...], limit: int
) -> sa.Select:
    people = people_expr(people_directions)
    where = risk_filters.conditions(with_basis(filters, "residual"), include_band=False)
    arms = [
        sa.select(Risk.id, sa.bindparam(f"top_rank_{n}", type_=sa.Integer).label("rank"))
        .where(
            Risk.residual_likelihood == sa.bindparam(f"top_lk_{n}", type_=sa.Integer),
            Risk.residual_impact == sa.bindparam(f"top_im_{n}", type_=sa.Integer),
            people if is_people else ~people,
        )
        .where(*where)
        .order_by(Risk.id)
        .limit(limit)
        .subquery()
        for n, is_people in enumerate(shape)
    ] or [sa.select(Risk.id, sa.literal(-1, sa.Integer).label("rank")).where(sa.false()).subquery()]
    top = sa.union_all(*(sa.select(arm.c.id, arm.c.rank) for arm in arms)).subquery("top")
    return (
        sa.select(
            Risk.id,
            Risk.ref,
            Risk.title,
            Site.name,
            User.name,
            Risk.residual_likelihood,
            Risk.residual_impact,
            Risk.direction,
        )
        .select_from(top)
        .join(Risk, Risk.id == top.c.id)
        .join(User, User.id == Risk.owner_id)
        .outerjoin(Site, Site.id == Risk.site_id)
        .order_by(top.c.rank.desc(), Risk.residual_score.desc(), Risk.residual_impact.desc(), Risk.id)
        .limit(limit)
    )


def band_counts_by_direction(
    filters: RiskFilters, basis: str = "residual", rows: CellRows | None = None
) -> dict[Direction, Counter[str]]:
    """Risks per band for each of the three directions, whatever the direction filter (the other
    filters kept), the people-first rule included: from the kept counts when the filters are
    theirs (at most 75 rows at any register size), else one GROUP BY of the risks. `rows`: the kept
    counts' rows for every direction, already read (shared_residual_rows)."""
    every_direction = replace(with_basis(filters, basis), direction=None)
    matrix = scoring.matrix()
    if rows is not None or counts.can_answer(every_direction):
        rows = counts.cell_rows(every_direction, basis) if rows is None else rows
        found = matrix.tally_by((Direction(d), lk, im, d, n) for lk, im, d, n in rows)
    else:
        likelihood, impact = risk_filters.basis_columns(basis)
        stmt = (
            sa.select(Risk.direction, likelihood, impact, Risk.direction, sa.func.count())
            .where(*risk_filters.conditions(every_direction, include_band=False))
            .group_by(Risk.direction, likelihood, impact)
        )
        found = matrix.tally_by(reads.rows(stmt))
    return {direction: found.get(direction, matrix.tally([])) for direction in Direction}


REVIEW_OVERDUE_LIMIT = 1_000  # counted up to here, then shown as "1,000+": a bounded read


def review_overdue(filters: RiskFilters, on: date) -> int:
    """Open or draft risks whose next review date has passed (riskreg.reviews.rules, as the
    register's review=overdue), counted up to REVIEW_OVERDUE_LIMIT + 1 (the register lists them all)."""
    from riskreg.risks.queries import statement_key

    stmt = _review_overdue_statement(*statement_key(filters), on)
    return reads.scalar(stmt, risk_filters.bound_values(filters)) or 0


@functools.lru_cache(maxsize=64)
def _review_overdue_statement(
    shape: RiskFilters, dialect: str, depends_on: tuple[Any, ...], on: date
) -> sa.Select:
    """Built once per shape of filters and day, run with the filters' values bound (as the
    register's pages: riskreg.risks.queries.statement_key)."""
    matching = (
        sa.select(Risk.id)
        .where(*risk_filters.conditions(shape, include_band=False, bind=True))
        .where(review_rules.overdue_condition(on))
        .limit(REVIEW_OVERDUE_LIMIT + 1)
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(matching)


@dataclass
class DepartmentControls:
    id: int
    name: str
    active: bool
    total: int = 0  # not cancelled
    done: int = 0  # implemented or verified
    overdue: int = 0  # planned or in progress, due date passed
    ownerless: int = 0  # planned or in progress, belonging to nobody
    undated: int = 0  # planned or in progress, no due date


def _sum_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def control_rows(filters: RiskFilters, on: date) -> list[DepartmentControls]:
    """Every department with its controls' counts, in one statement (departments with none show 0).

    Unfiltered, the tally reads the kept control counts (a few index ranges at any size). Site,
    direction and category narrow the controls to those mitigating a matching risk, tallied per
    (department, status) in index order (ix_controls_department_status_due covers it). The
    department filter is applied by the caller, so this one query also lists the departments.
    """
    scope = risk_filters.scope_conditions(filters)
    if scope:
        return _department_rows(_department_select(live_tally(on, scope).subquery()))
    return _department_rows(_kept_department_select(), counts.tally_params(on))


@functools.cache
def _kept_department_select() -> sa.Select:
    """Built once (its dates are bound at execution): the statement is the same at every call."""
    return _department_select(counts.control_tally().subquery())


def live_tally(on: date, scope: list[sa.ColumnElement[bool]]) -> sa.Select:
    """The tally over the controls mitigating the risks in scope (site, direction, category)."""
    tally = sa.select(
        Control.department_id.label("department_id"),
        Control.status.label("status"),
        sa.func.count().label("controls"),
        _sum_if(Control.is_overdue(on)).label("late"),
        _sum_if(control_filters.ownerless_condition()).label("nobody"),
        _sum_if(Control.due_date.is_(None)).label("no_date"),
    ).group_by(Control.department_id, Control.status)
    return tally.where(
        Control.id.in_(
            sa.select(risk_controls.c.control_id).join(Risk, Risk.id == risk_controls.c.risk_id).where(*scope)
        )
    )


def _department_select(counted: sa.Subquery) -> sa.Select:
    return (
        sa.select(
            Department.id,
            Department.name,
            Department.active,
            counted.c.status,
            counted.c.controls,
            counted.c.late,
            counted.c.nobody,
            counted.c.no_date,
        )
        .outerjoin(counted, counted.c.department_id == Department.id)
        .order_by(Department.name, Department.id)
    )


_CONTROL_STATUS = {status.value: status for status in ControlStatus}  # a member finds itself too


def _department_rows(stmt: sa.Select, params: dict[str, Any] | None = None) -> list[DepartmentControls]:
    rows: dict[int, DepartmentControls] = {}
    for dept_id, name, active, raw_status, controls, late, nobody, no_date in reads.rows(stmt, params):
        row = rows.get(dept_id)
        if row is None:
            row = rows[dept_id] = DepartmentControls(dept_id, name, active)
        if raw_status is None:
            continue
        status = _CONTROL_STATUS[raw_status]  # a member, or the value the kept counts hold
        if status is not ControlStatus.CANCELLED:
            row.total += controls
        if status in DONE_CONTROL_STATUSES:
            row.done += controls
        row.overdue += late or 0
        if status in OPEN_CONTROL_STATUSES:
            row.ownerless += nobody or 0
            row.undated += no_date or 0
    return list(rows.values())


class SiteRow(NamedTuple):  # a tuple: made for every site on every dashboard view
    id: int
    name: str
    active: bool
    asm_presence: AsmPresence


def sites() -> list[SiteRow]:
    """Sites are reference data (tens, not thousands): one query feeds the filter and the ASM list."""
    return list(map(SiteRow._make, reads.rows(_sites())))


@functools.cache  # built once: every dashboard view reads it
def _sites() -> sa.Select:
    return sa.select(Site.id, Site.name, Site.active, Site.asm_presence).order_by(Site.name)


def completion(rows: list[DepartmentControls]) -> dict[str, Any]:
    total = sum(r.total for r in rows)
    done = sum(r.done for r in rows)
    return {"total": total, "done": done, "rate": round(100 * done / total) if total else None}
