"""Rows for the workbook: streamed in chunks, aggregated in SQL, with the same filters as /risks.

Each function runs a fixed number of queries whatever the size of the register: counts of
controls and the requirement codes are grouped in SQL and joined, never fetched per risk, and the
long lists (risks, controls) are read through a server-side cursor in chunks of CHUNK rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa

from riskreg import scoring
from riskreg.auth.models import User
from riskreg.controls.models import OPEN_CONTROL_STATUSES, Control, risk_controls
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.reviews.queries import review_counts
from riskreg.risks import filters as risk_filters
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Risk, risk_requirements
from riskreg.sites.models import Site
from riskreg.standards.models import Requirement

CHUNK = 1000  # rows fetched per round trip while streaming


def _stream(stmt: sa.Select) -> Iterator[sa.Row]:
    # yield_per turns on stream_results: a server-side cursor on PostgreSQL, a lazy cursor on SQLite.
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL plans a cursor for its first 10% of rows (cursor_tuple_fraction), which picked a
        # nested loop over the grouped subqueries: 24 s instead of 1 s for 20,000 risks. We read all.
        db.session.execute(sa.text("SET LOCAL cursor_tuple_fraction = 1.0"))
    yield from db.session.execute(stmt, execution_options={"yield_per": CHUNK})


def _joined_list(value: str | None) -> str:
    """A SQL string aggregate, sorted (SQL aggregates promise no order)."""
    return ", ".join(sorted(value.split(", "))) if value else ""


def control_counts(today: date) -> sa.Subquery:
    """Per risk: its controls, the open ones, the open ones past their due date."""
    is_open = Control.status.in_(OPEN_CONTROL_STATUSES)
    overdue = Control.is_overdue(today)
    return (
        sa.select(
            risk_controls.c.risk_id,
            sa.func.count().label("controls"),
            sa.func.sum(sa.case((is_open, 1), else_=0)).label("open_controls"),
            sa.func.sum(sa.case((overdue, 1), else_=0)).label("overdue_controls"),
        )
        .join(Control, Control.id == risk_controls.c.control_id)
        .group_by(risk_controls.c.risk_id)
        .subquery("control_counts")
    )


def requirement_codes() -> sa.Subquery:
    return (
        sa.select(
            risk_requirements.c.risk_id,
            sa.func.aggregate_strings(Requirement.code, ", ").label("codes"),
        )
        .join(Requirement, Requirement.id == risk_requirements.c.requirement_id)
        .group_by(risk_requirements.c.risk_id)
        .subquery("requirement_codes")
    )


def register_rows(filters: RiskFilters, today: date) -> Iterator[dict[str, Any]]:
    """One dict per risk, in the register's sort order, keys as in columns.REGISTER_COLUMNS."""
    counts, codes, reviewed = control_counts(today), requirement_codes(), review_counts()
    stmt = (
        sa.select(
            Risk.ref,
            Risk.title,
            Site.name.label("site"),
            Risk.direction,
            Risk.category,
            User.name.label("owner"),
            Risk.inherent_likelihood,
            Risk.inherent_impact,
            Risk.inherent_score,
            Risk.residual_likelihood,
            Risk.residual_impact,
            Risk.residual_score,
            Risk.target_likelihood,
            Risk.target_impact,
            Risk.target_date,
            Risk.treatment,
            Risk.impact_area,
            Risk.status,
            Risk.next_review_date,
            reviewed.c.last_review,
            sa.func.coalesce(reviewed.c.reviews, 0).label("reviews"),
            sa.func.coalesce(counts.c.controls, 0).label("controls"),
            sa.func.coalesce(counts.c.open_controls, 0).label("open_controls"),
            sa.func.coalesce(counts.c.overdue_controls, 0).label("overdue_controls"),
            codes.c.codes.label("requirements"),
            Risk.description,
            Risk.cause,
            Risk.consequence,
        )
        .join(User, User.id == Risk.owner_id)
        .outerjoin(Site, Site.id == Risk.site_id)
        .outerjoin(counts, counts.c.risk_id == Risk.id)
        .outerjoin(codes, codes.c.risk_id == Risk.id)
        .outerjoin(reviewed, reviewed.c.risk_id == Risk.id)
        .where(*risk_filters.conditions(filters))
        .order_by(*risk_filters.order_by(filters))
    )
    for row in _stream(stmt):
        values = row._asdict()
        values["requirements"] = _joined_list(values["requirements"])
        if values["last_review"] is not None:
            values["last_review"] = values["last_review"].date()
        yield values


def risk_count(filters: RiskFilters) -> int:
    """The rows of the Register sheet (decides whether /export.xlsx answers at once)."""
    return db.session.scalar(sa.select(sa.func.count(Risk.id)).where(*risk_filters.conditions(filters))) or 0


def export_row_count(filters: RiskFilters) -> int:
    """The rows of the Register and Controls sheets together: a background export's total."""
    return risk_count(filters) + (
        db.session.scalar(sa.select(sa.func.count()).select_from(_controls(filters))) or 0
    )


def _controls(filters: RiskFilters) -> sa.Subquery:
    stmt = sa.select(Control.id)
    if filters.active:
        stmt = stmt.where(Control.id.in_(_exported_controls(filters)))
    return stmt.subquery()


def _exported_controls(filters: RiskFilters) -> sa.Select:
    return (
        sa.select(risk_controls.c.control_id)
        .join(Risk, Risk.id == risk_controls.c.risk_id)
        .where(*risk_filters.conditions(filters))
    )


def control_rows(filters: RiskFilters, today: date) -> Iterator[dict[str, Any]]:
    """One dict per control: the controls of the exported risks (every control when unfiltered)."""
    refs = (
        sa.select(risk_controls.c.control_id, sa.func.aggregate_strings(Risk.ref, ", ").label("risks"))
        .join(Risk, Risk.id == risk_controls.c.risk_id)
        .group_by(risk_controls.c.control_id)
        .subquery("control_risks")
    )
    overdue = Control.is_overdue(today)
    stmt = (
        sa.select(
            Control.ref,
            Control.title,
            refs.c.risks,
            Department.name.label("department"),
            User.name.label("owner"),
            Control.status,
            Control.due_date,
            sa.case((overdue, True), else_=False).label("overdue"),
            Control.effectiveness,
            Control.closed_at,
            Control.closing_note,
        )
        .join(Department, Department.id == Control.department_id)
        .outerjoin(User, User.id == Control.owner_id)
        .outerjoin(refs, refs.c.control_id == Control.id)
        .order_by(Control.id)
    )
    if filters.active:
        stmt = stmt.where(Control.id.in_(_exported_controls(filters)))
    for row in _stream(stmt):
        values = row._asdict()
        values["risks"] = _joined_list(values["risks"])
        yield values


def cell_counts(filters: RiskFilters, basis: str) -> list[sa.Row]:
    """Exported risks per (likelihood, impact, direction) on one basis: one GROUP BY."""
    likelihood, impact = risk_filters.basis_columns(basis)
    stmt = (
        sa.select(likelihood, impact, Risk.direction, sa.func.count())
        .where(*risk_filters.conditions(filters))
        .group_by(likelihood, impact, Risk.direction)
    )
    return list(db.session.execute(stmt))


def band_counts_by_site(
    filters: RiskFilters, matrix: scoring.Matrix, basis: str = "residual"
) -> dict[int | None, Counter[str]]:
    """Exported risks per site (None: corporate) and band, people-first rule included."""
    likelihood, impact = risk_filters.basis_columns(basis)
    stmt = (
        sa.select(Risk.site_id, likelihood, impact, Risk.direction, sa.func.count())
        .where(*risk_filters.conditions(filters))
        .group_by(Risk.site_id, likelihood, impact, Risk.direction)
    )
    return matrix.tally_by(db.session.execute(stmt))


def sites() -> list[sa.Row]:
    return list(
        db.session.execute(
            sa.select(
                Site.id,
                Site.name,
                Site.country,
                Site.region,
                Site.lifecycle,
                Site.asm_presence,
                Site.asm_approach,
                Site.active,
            ).order_by(Site.name)
        )
    )


def owner_names() -> list[str]:
    """Who can own a risk (active users), for the Owner drop-down."""
    stmt = sa.select(User.name).where(User.active.is_(True)).order_by(User.name).distinct()
    return list(db.session.scalars(stmt))
