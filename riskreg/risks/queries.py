"""Read-side queries of the register: the filtered page, counts per band, one risk with its links."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from riskreg import reads, scoring
from riskreg.auth.models import User
from riskreg.dashboard import counts as dashboard_counts
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.paging import PageNumbers
from riskreg.risks import filters as risk_filters
from riskreg.risks import pagination
from riskreg.risks import rows as register_rows
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Risk, risk_requirements
from riskreg.risks.rows import RegisterRow
from riskreg.sites.models import Site

ROW_WIDTH = len(register_rows.COLUMNS) + 2  # a row's own values, then its sort values


@dataclass
class RegisterPage(PageNumbers):
    risks: list[RegisterRow]
    band_counts: dict[str, int]  # every band, for the current filters without the band filter
    total: int  # matching all filters, band included
    page: int
    per_page: int
    next_cursor: str | None = None  # keyset links; None when the sort has no cursor
    prev_cursor: str | None = None


def band_counts(filters: RiskFilters) -> dict[str, int]:
    """Counts per band from one GROUP BY over (likelihood, impact, people or not): at most 50 rows."""
    matrix = scoring.matrix()
    if dashboard_counts.can_answer(filters):  # site, direction, category, status: the maintained counts
        return dict(matrix.tally(dashboard_counts.cell_rows(filters, filters.basis)))
    likelihood, impact = risk_filters.basis_columns(filters.basis)
    # Grouped in the order of the covering index (cell, direction): no sort, no table reads.
    stmt = (
        sa.select(likelihood, impact, Risk.direction, sa.func.count())
        .where(*risk_filters.conditions(filters, include_band=False))
        .group_by(likelihood, impact, Risk.direction)
    )
    if filters.basis == "target":
        stmt = stmt.where(likelihood.is_not(None), impact.is_not(None))
    return dict(matrix.tally(reads.rows(stmt)))


def register_page(
    filters: RiskFilters, page: int, per_page: int, after: str | None = None, before: str | None = None
) -> RegisterPage:
    """One page of the register: by cursor (after/before) when given, else by page number."""
    counts = band_counts(filters)
    total = counts[filters.band] if filters.band else sum(counts.values())
    if filters.basis == "target" and not filters.band:
        # risks with no target score are not in any band but still match the other filters
        total = db.session.scalar(
            sa.select(sa.func.count(Risk.id)).where(*risk_filters.conditions(filters, include_band=False))
        )
    columns = risk_filters.sort_columns(filters)
    keyset = pagination.keyset(filters.sort)
    backwards = bool(keyset and before and not after)
    window = {"page_limit": per_page + 1}
    if keyset and (after or before):
        cursor = pagination.decode(after or before, columns)
        stmt = _page_statement(filters, cursor, backwards)
    else:  # by number: the statement of this shape of filters, built once (riskreg.risks.filters.BOUND)
        stmt = _numbered_page_statement(*statement_key(filters))
        window["page_offset"] = (page - 1) * per_page
        window |= risk_filters.bound_values(filters)
    rows = reads.rows(stmt, window)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    matrix = scoring.matrix()
    shown = [RegisterRow(row[:ROW_WIDTH], matrix) for row in rows]
    result = RegisterPage(shown, counts, total, page, per_page)
    if keyset and rows:
        first, last = rows[0], rows[-1]
        if more or backwards:
            result.next_cursor = pagination.encode(last[ROW_WIDTH:], last[0])
        if page > 1:
            result.prev_cursor = pagination.encode(first[ROW_WIDTH:], first[0])
    return result


def statement_key(filters: RiskFilters) -> tuple[RiskFilters, str, tuple[Any, ...]]:
    """What a statement built with conditions(bind=True) depends on besides its bound values: the
    shape of the filters, the database's dialect, and what the SQL of a filter reads when it is
    used: the day (review=), the matrix's cells (band=), the stored appetites (appetite=), the
    severe level (grievance=severe)."""
    from riskreg.appetite import queries as appetite
    from riskreg.grievances.services import severe_level

    config = current_app.config
    depends_on = (
        today() if filters.review else None,
        (str(config["MATRIX_FILE"]), config.get("MATRIX_PRESET")) if filters.band else None,
        tuple(sorted(appetite.ranks().items())) if filters.appetite else None,
        severe_level() if filters.grievance == "severe" else None,
    )
    return risk_filters.shape(filters), db.session.get_bind().dialect.name, depends_on


@functools.lru_cache(maxsize=256)
def _numbered_page_statement(shape: RiskFilters, dialect: str, depends_on: tuple[Any, ...]) -> sa.Select:
    """A numbered page's statement for one shape of filters (see statement_key), its values, limit and
    offset bind parameters. The dialect and depends_on only key the cache: the statement reads them
    as _page_statement does."""
    return _page_statement(shape, None, False, bind=True)


def _page_statement(
    filters: RiskFilters, cursor: tuple[Any, int] | None, backwards: bool, *, bind: bool = False
) -> sa.Select:
    """The page's rows, LIMIT page_limit (OFFSET page_offset when there is no cursor)."""
    columns = risk_filters.sort_columns(filters)
    # Deferred join: the page is sorted and cut over narrow rows (the id and the sort values), then
    # its risks are loaded; a sort the indexes cannot serve (site, owner) sorts ids, not whole risks.
    keys = risk_filters.join_sort_tables(
        sa.select(Risk.id.label("id"), *(c.label(f"sort_{n}") for n, c in enumerate(columns))),
        filters,
    ).where(*risk_filters.conditions(filters, bind=bind))
    limit = sa.bindparam("page_limit", type_=sa.Integer)
    if cursor is not None:
        values, row_id = cursor
        # Walking backwards is walking forwards in the reversed order, then flipping the rows.
        descending = filters.sort.startswith("-") != backwards
        keys = keys.where(pagination.after(columns, descending, values, row_id))
        keys = sorted_keys(keys, filters, backwards).limit(limit)
    else:
        keys = (
            sorted_keys(keys, filters, False)
            .limit(limit)
            .offset(sa.bindparam("page_offset", type_=sa.Integer))
        )
    chosen = keys.subquery("page")
    # The sort values come back beside each risk: the cursor is made of what the database sorted by.
    sort_values = [chosen.c[f"sort_{n}"] for n in range(len(columns))]
    descending = filters.sort.startswith("-") != backwards
    return (
        sa.select(*register_rows.columns(), *sort_values)
        .select_from(chosen)
        .join(Risk, Risk.id == chosen.c.id)
        .join(User, User.id == Risk.owner_id)
        .outerjoin(Site, Site.id == Risk.site_id)
        .order_by(*(c.desc() if descending else c.asc() for c in (*sort_values, chosen.c.id)))
    )


def sorted_keys(keys: sa.Select, filters: RiskFilters, reverse: bool) -> sa.Select:
    """The narrow rows in the register's order.

    With a text search on PostgreSQL the matches are found first (the trigram index) and then
    sorted: left to itself the planner walks the order's index hoping to meet 50 matches early,
    which reads every risk when the text and the other filters rarely meet (q=mercury to ASM
    miners: 1 s at 100,000 risks). OFFSET 0 keeps the search a subquery of its own."""
    if not (filters.q and db.session.get_bind().dialect.name == "postgresql"):
        return keys.order_by(*risk_filters.order_by(filters, reverse=reverse))
    matches = keys.offset(0).subquery("matches")
    descending = filters.sort.startswith("-") != reverse
    names = [name for name in matches.c.keys() if name.startswith("sort_")] + ["id"]
    order = [matches.c[name].desc() if descending else matches.c[name].asc() for name in names]
    return sa.select(*matches.c).order_by(*order)


def _with_links(stmt: sa.Select) -> sa.Select:
    """The risk with its site, owner, controls (with department and owner) and requirements, in
    three queries: what a row points to (a site, an owner, a department) is joined to it; each list
    is one query."""
    from riskreg.controls.models import Control

    return stmt.where(Risk.id == sa.bindparam("risk_id")).options(
        joinedload(Risk.site),
        joinedload(Risk.owner),
        selectinload(Risk.controls).joinedload(Control.department),
        selectinload(Risk.controls).joinedload(Control.owner),
        selectinload(Risk.requirements),
    )


# The statements of one risk are built once and run with its id: building them and deriving their
# cache key anew (five EXISTS and the loader options) cost about as much as running them.
@functools.cache
def _risk_with_links() -> sa.Select:
    return _with_links(sa.select(Risk))


def risk_with_links(risk_id: int) -> Risk | None:
    return db.session.execute(_risk_with_links(), {"risk_id": risk_id}).scalar()


@dataclass(frozen=True)
class Listed:
    """Which of the lists on a risk's page have rows, and its category's appetite: read with the
    risk's own row, so a list known to be empty is not queried (most risks have no grievance, no
    comment, no open flag, no requirement...)."""

    reviews: bool
    acceptances: bool
    grievances: bool
    comments: bool
    open_flags: bool
    controls: bool
    requirements: bool
    appetite: str | None  # the band key of its category's appetite, None when it has none


@functools.cache
def _risk_page() -> sa.Select:
    from riskreg.acceptances.models import Acceptance
    from riskreg.appetite.models import CategoryAppetite
    from riskreg.comments.models import Comment
    from riskreg.controls.models import risk_controls
    from riskreg.grievances.models import grievance_risks
    from riskreg.indicators.models import ReviewFlag
    from riskreg.reviews.models import RiskReview

    listed = [  # in the order of Listed's fields
        sa.exists().where(RiskReview.risk_id == Risk.id),
        sa.exists().where(Acceptance.risk_id == Risk.id),
        sa.exists().where(grievance_risks.c.risk_id == Risk.id),
        sa.exists().where(Comment.entity == "risk", Comment.entity_id == Risk.id),
        sa.exists().where(ReviewFlag.risk_id == Risk.id, ReviewFlag.review_id.is_(None)),
        sa.exists().where(risk_controls.c.risk_id == Risk.id),
        sa.exists().where(risk_requirements.c.risk_id == Risk.id),
        sa.select(CategoryAppetite.max_band)
        .where(CategoryAppetite.category == Risk.category)
        .scalar_subquery(),
    ]
    return (
        sa.select(Risk, *listed)
        .where(Risk.id == sa.bindparam("risk_id"))
        .options(joinedload(Risk.site), joinedload(Risk.owner))
    )


@functools.cache
def _page_controls() -> sa.Select:
    """The risk's controls as Risk.controls orders them, each with its department and owner."""
    from riskreg.controls.models import Control, risk_controls

    return (
        sa.select(Control)
        .join(risk_controls, risk_controls.c.control_id == Control.id)
        .where(risk_controls.c.risk_id == sa.bindparam("risk_id"))
        .order_by(Control.due_date, Control.id)
        .options(joinedload(Control.department), joinedload(Control.owner))
    )


@functools.cache
def _page_requirements() -> sa.Select:
    from riskreg.standards.models import Requirement

    return (
        sa.select(Requirement)
        .join(risk_requirements, risk_requirements.c.requirement_id == Requirement.id)
        .where(risk_requirements.c.risk_id == sa.bindparam("risk_id"))
    )


def risk_page(risk_id: int) -> tuple[Risk, Listed] | None:
    """The risk with its links (as risk_with_links) and what its page lists (Listed).

    Its controls and requirements are read by two plain statements, and only when its row says it
    has any: the selectin loaders of risk_with_links cost about half of the page's reads, for lists
    that are often empty (most risks link no requirement)."""
    params = {"risk_id": risk_id}
    row = db.session.execute(_risk_page(), params).first()
    if row is None:
        return None
    risk, *has, appetite = row
    listed = Listed(*(bool(value) for value in has), appetite)
    controls = list(db.session.scalars(_page_controls(), params)) if listed.controls else []
    requirements = list(db.session.scalars(_page_requirements(), params)) if listed.requirements else []
    set_committed_value(risk, "controls", controls)
    set_committed_value(risk, "requirements", requirements)
    return risk, listed
