"""Register filters from the query string (/risks, /export.xlsx, dashboard drill-down) and their SQL.

Bad values are refused with a 400 that names the parameter, never ignored: an executive who
clicks a heatmap cell must land on exactly those risks or be told why not.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg import reference, scoring
from riskreg.auth.models import User
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.params import MAX_ID, query_int
from riskreg.reviews import rules as review_rules
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.sites.models import Site

BASES = ("inherent", "residual", "target")
MAX_QUERY_LENGTH = 200

# A corporate risk sorts as if its site's name were empty: first from A to Z, last from Z to A.
SITE_NAME = sa.func.coalesce(Site.name, "")
# sort key -> what ORDER BY uses before Risk.id (all the same way); "-key" sorts descending. Only these
# are accepted. Scores sort by band first, then score (as the dashboard's top ten): with the
# people-first rule a 12 can be Extreme or High, and the Extreme one is the worse.
SORT_COLUMNS: dict[str, tuple[Any, ...]] = {
    "ref": (),
    "title": (Risk.title,),
    "site": (SITE_NAME,),
    "direction": (Risk.direction,),
    "category": (Risk.category,),
    "owner": (User.name,),
    "inherent": (Risk.inherent_band_rank, Risk.inherent_score),
    "residual": (Risk.residual_band_rank, Risk.residual_score),
    "status": (Risk.status,),
    "review": (Risk.next_review_date,),
    "updated": (Risk.updated_at,),
}
DEFAULT_SORT = "-residual"
APPETITE_CHOICES = ("above", "within", "escalated")
GRIEVANCE_CHOICES = ("any", "open", "severe")  # linked to any grievance / an open one / a severe one


@dataclass(frozen=True)
class RiskFilters:
    site: int | None = None
    corporate: bool = False  # site=corporate: risks not tied to a site
    direction: Direction | None = None
    category: str | None = None
    band: str | None = None
    status: RiskStatus | None = None
    owner: int | None = None
    department: int | None = None  # risks with a control owned by this department
    q: str | None = None
    flagged: bool | None = None  # yes: with an open review flag from an indicator trigger; no: without
    review: str | None = None  # due (within 7 days or today) | overdue (past): riskreg.reviews.rules
    appetite: str | None = None  # above | within its category's appetite | escalated (above, uncovered)
    grievance: str | None = None  # any | open | severe: linked to such a grievance (GRIEVANCE_CHOICES)
    likelihood: int | None = None
    impact: int | None = None
    basis: str = "residual"
    sort: str = DEFAULT_SORT

    def query_args(self, **overrides: Any) -> dict[str, Any]:
        """The filters as query-string arguments (for links, exports and pagination)."""
        # A shallow copy: asdict() deep-copies every field, and pages call this once per link.
        values = {f.name: getattr(self, f.name) for f in fields(self)} | overrides
        args: dict[str, Any] = {}
        if values["corporate"]:
            args["site"] = "corporate"
        elif values["site"] is not None:
            args["site"] = values["site"]
        for key in ("direction", "status"):
            if values[key] is not None:
                args[key] = getattr(values[key], "value", values[key])
        for key in (
            "category",
            "band",
            "owner",
            "department",
            "q",
            "review",
            "likelihood",
            "impact",
            "appetite",
            "grievance",
        ):
            if values[key] not in (None, ""):
                args[key] = values[key]
        if values["flagged"] is not None:
            args["flagged"] = "yes" if values["flagged"] else "no"
        if values["basis"] != "residual":
            args["basis"] = values["basis"]
        if values["sort"] != DEFAULT_SORT:
            args["sort"] = values["sort"]
        return args

    @property
    def active(self) -> bool:
        return bool(self.query_args(sort=DEFAULT_SORT))


def _int(args: MultiDict, name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    return query_int(args, name, low, high)


def _choice(args: MultiDict, name: str, allowed: list[str]) -> str | None:
    raw = args.get(name, "").strip()
    if raw == "":
        return None
    if raw not in allowed:
        raise BadRequest(
            _(
                "Filter '%(name)s' must be one of %(allowed)s; %(value)s is not.",
                name=name,
                allowed=", ".join(allowed),
                value=repr(raw),
            )
        )
    return raw


def _yes_no(args: MultiDict, name: str) -> bool | None:
    raw = _choice(args, name, ["yes", "no"])
    return None if raw is None else raw == "yes"


def parse_risk_filters(args: MultiDict) -> RiskFilters:
    matrix = scoring.matrix()
    site_raw = args.get("site", "").strip()
    corporate = site_raw == "corporate"
    site = None if corporate else _int(args, "site")
    direction = _choice(args, "direction", [d.value for d in Direction])
    status = _choice(args, "status", [s.value for s in RiskStatus])
    category = _choice(args, "category", reference.categories())
    q = args.get("q", "").strip() or None
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        raise BadRequest(_("The search text must be at most %(max)s characters.", max=MAX_QUERY_LENGTH))
    sort = args.get("sort", "").strip() or DEFAULT_SORT
    if sort.lstrip("-") not in SORT_COLUMNS:
        raise BadRequest(
            _(
                "Cannot sort by %(value)s; choose one of %(allowed)s.",
                value=repr(sort),
                allowed=", ".join(SORT_COLUMNS),
            )
        )
    return RiskFilters(
        site=site,
        corporate=corporate,
        direction=Direction(direction) if direction else None,
        category=category,
        band=_choice(args, "band", matrix.band_keys),
        status=RiskStatus(status) if status else None,
        owner=_int(args, "owner"),
        department=_int(args, "department"),
        q=q,
        flagged=_yes_no(args, "flagged"),
        review=_choice(args, "review", list(review_rules.STATES)),
        appetite=_choice(args, "appetite", list(APPETITE_CHOICES)),
        grievance=_choice(args, "grievance", list(GRIEVANCE_CHOICES)),
        likelihood=_int(args, "likelihood", 1, 5),
        impact=_int(args, "impact", 1, 5),
        basis=_choice(args, "basis", list(BASES)) or "residual",
        sort=sort,
    )


def basis_columns(basis: str) -> tuple[Any, Any]:
    return getattr(Risk, f"{basis}_likelihood"), getattr(Risk, f"{basis}_impact")


def band_condition(band_key: str, basis: str = "residual") -> sa.ColumnElement[bool]:
    """SQL for "the risk's band on this basis is band_key", people-first rule included."""
    matrix = scoring.matrix()
    likelihood, impact = basis_columns(basis)
    people = [d for d in matrix.people_directions]

    def cells_clause(cells: list[tuple[int, int]]) -> sa.ColumnElement[bool]:
        rows: dict[int, list[int]] = {}
        for lk, im in cells:
            rows.setdefault(lk, []).append(im)
        if not rows:
            return sa.false()
        return sa.or_(*(sa.and_(likelihood == lk, impact.in_(ims)) for lk, ims in rows.items()))

    return sa.or_(
        sa.and_(Risk.direction.in_(people), cells_clause(matrix.cells_in_band(band_key, people=True))),
        sa.and_(Risk.direction.not_in(people), cells_clause(matrix.cells_in_band(band_key, people=False))),
    )


# The register page's statement is built once per shape of its filters (which are set, not their
# values) and run with the values as bind parameters: building a statement and its cache key cost
# more than running it. These filters are bound: filter -> (its parameter's name, what shape()
# puts in its place: set, the same for every value). The rest (the band, the review state, the
# sort...) pick the statement's shape. One home: conditions(bind=True) names a parameter where it
# would put a value, and bound_values() gives them.
BOUND: dict[str, tuple[str, Any]] = {
    "site": ("risk_site", 0),
    "direction": ("risk_direction", next(iter(Direction))),
    "category": ("risk_category", "*"),
    "status": ("risk_status", RiskStatus.OPEN),
    "owner": ("risk_owner", 0),
    "department": ("risk_department", 0),
    "likelihood": ("risk_likelihood", 1),
    "impact": ("risk_impact", 1),
}


def shape(filters: RiskFilters) -> RiskFilters:
    """The filters with every bound value (and the search text) replaced by a placeholder: what a
    statement built with conditions(bind=True) depends on, to key a cache of statements by."""
    from riskreg.search import queries as search

    placeholders = {
        name: placeholder
        for name, (_parameter, placeholder) in BOUND.items()
        if getattr(filters, name) not in (None, "")
    }
    if filters.q:
        placeholders["q"] = search.register_shape(filters.q)
    return replace(filters, **placeholders)


def bound_values(filters: RiskFilters) -> dict[str, Any]:
    """The bind parameters of a statement built from shape(filters) with conditions(bind=True)."""
    from riskreg.search import queries as search

    values = {
        parameter: getattr(filters, name)
        for name, (parameter, _placeholder) in BOUND.items()
        if getattr(filters, name) not in (None, "")
    }
    if filters.q:
        values |= search.register_values(filters.q)
    return values


def _value(filters: RiskFilters, name: str, bind: bool) -> Any:
    """A filter's value in SQL: the value itself, or its named bind parameter (see BOUND)."""
    return sa.bindparam(BOUND[name][0]) if bind else getattr(filters, name)


def scope_conditions(filters: RiskFilters, *, bind: bool = False) -> list[sa.ColumnElement[bool]]:
    """Where the risks are and what they are about: site (or corporate), direction, category."""
    where: list[sa.ColumnElement[bool]] = []
    if filters.corporate:
        where.append(Risk.site_id.is_(None))
    elif filters.site is not None:
        where.append(Risk.site_id == _value(filters, "site", bind))
    if filters.direction is not None:
        where.append(Risk.direction == _value(filters, "direction", bind))
    if filters.category:
        where.append(Risk.category == _value(filters, "category", bind))
    return where


def conditions(
    filters: RiskFilters, *, include_band: bool = True, bind: bool = False
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for the filters; archived risks only when asked for by status. With `bind`,
    the bound filters (BOUND) and the search text are named parameters: see bound_values()."""
    where = scope_conditions(filters, bind=bind)
    if filters.status is not None:
        where.append(Risk.status == _value(filters, "status", bind))
    else:
        where.append(Risk.status != RiskStatus.ARCHIVED)
    if filters.owner is not None:
        where.append(Risk.owner_id == _value(filters, "owner", bind))
    if filters.department is not None:
        from riskreg.controls.models import Control, risk_controls

        where.append(
            Risk.id.in_(
                sa.select(risk_controls.c.risk_id)
                .join(Control, Control.id == risk_controls.c.control_id)
                .where(Control.department_id == _value(filters, "department", bind))
            )
        )
    if filters.q:
        from riskreg.search import queries as search

        # a substring of the title, description or ref, any case: read off the full-text index
        columns = {"title": Risk.title, "description": Risk.description, "ref": Risk.ref}
        where.append(search.register_condition(filters.q, Risk.id, columns, bind=bind))
    if filters.flagged is not None:
        from riskreg.indicators.models import ReviewFlag

        open_flag = sa.exists().where(ReviewFlag.risk_id == Risk.id, ReviewFlag.review_id.is_(None))
        where.append(open_flag if filters.flagged else ~open_flag)
    if filters.review is not None:
        where.append(review_rules.condition(filters.review, today()))
    if filters.appetite is not None:
        from riskreg.appetite import queries as appetite

        where.append(
            appetite.escalated_condition()
            if filters.appetite == "escalated"
            else appetite.above_condition()
            if filters.appetite == "above"
            else ~appetite.above_condition()
        )
    if filters.grievance is not None:
        from riskreg.grievances.queries import linked_grievance_condition

        where.append(linked_grievance_condition(Risk.id, filters.grievance))
    likelihood, impact = basis_columns(filters.basis)
    if filters.likelihood is not None:
        where.append(likelihood == _value(filters, "likelihood", bind))
    if filters.impact is not None:
        where.append(impact == _value(filters, "impact", bind))
    if include_band and filters.band:
        where.append(band_condition(filters.band, filters.basis))
    return where


def sort_columns(filters: RiskFilters) -> tuple[Any, ...]:
    return SORT_COLUMNS[filters.sort.lstrip("-")]


def order_by(filters: RiskFilters, reverse: bool = False) -> list[Any]:
    """ORDER BY the sort columns then id, all the same way (which keyset pagination relies on).

    The site and owner sorts need their tables joined: see join_sort_tables."""
    descending = filters.sort.startswith("-") != reverse
    return [column.desc() if descending else column.asc() for column in (*sort_columns(filters), Risk.id)]


def join_sort_tables(stmt: sa.Select, filters: RiskFilters) -> sa.Select:
    """The sites or users table for a sort by site or owner name (one row per risk either way)."""
    key = filters.sort.lstrip("-")
    if key == "site":
        return stmt.outerjoin(Site, Site.id == Risk.site_id)
    if key == "owner":
        return stmt.join(User, User.id == Risk.owner_id)
    return stmt
