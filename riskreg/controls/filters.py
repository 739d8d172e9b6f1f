"""Tracker filters from the query string (/controls) and their SQL; bad values get a 400 naming them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.auth.models import User
from riskreg.controls.models import (
    DONE_CONTROL_STATUSES,
    OPEN_CONTROL_STATUSES,
    Control,
    ControlStatus,
    risk_controls,
)
from riskreg.i18n import gettext as _
from riskreg.params import MAX_ID, query_int
from riskreg.risks.models import Risk
from riskreg.text import LIKE_ESCAPE, contains_pattern

MAX_QUERY_LENGTH = 200
MAX_DAYS = 3650

# "open" and "done" group the statuses people ask for together.
STATUS_GROUPS: dict[str, tuple[ControlStatus, ...]] = {
    "open": OPEN_CONTROL_STATUSES,
    "done": DONE_CONTROL_STATUSES,
    **{s.value: (s,) for s in ControlStatus},
}
SORTS = ("due", "-due", "ref", "-ref", "updated", "-updated")
NONE = "none"  # ?owner=none, ?due=none
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class ControlFilters:
    department: int | None = None
    status: str | None = None
    overdue: bool = False
    due_within: int | None = None
    site: int | None = None
    corporate: bool = False  # controls of risks not tied to a site
    risk: int | None = None
    owner: int | None = None
    ownerless: bool = False  # ?owner=none: no owner, or one whose account is deactivated
    undated: bool = False  # ?due=none: no due date
    q: str | None = None
    sort: str = "due"

    def query_args(self, **overrides: Any) -> dict[str, Any]:
        # Shallow (every field is a scalar): asdict's deep copy per link cost ~40 µs, on a page of
        # a hundred links (the count table's cells).
        values = {name: getattr(self, name) for name in _field_names(type(self))} | overrides
        args: dict[str, Any] = {}
        if values["corporate"]:
            args["site"] = "corporate"
        elif values["site"] is not None:
            args["site"] = values["site"]
        if values["overdue"]:
            args["overdue"] = 1
        for key in ("department", "status", "due_within", "risk", "owner", "q"):
            if values[key] not in (None, ""):
                args[key] = values[key]
        if values["ownerless"]:
            args["owner"] = NONE
        if values["undated"]:
            args["due"] = NONE
        if values["sort"] != "due":
            args["sort"] = values["sort"]
        return args

    @property
    def active(self) -> bool:
        return bool(self.query_args(sort="due"))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _int(args: MultiDict, name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    return query_int(args, name, low, high)


def parse_control_filters(args: MultiDict) -> ControlFilters:
    status = args.get("status", "").strip() or None
    if status is not None and status not in STATUS_GROUPS:
        raise BadRequest(
            _(
                "Filter 'status' must be one of %(choices)s; %(value)s is not.",
                choices=", ".join(STATUS_GROUPS),
                value=repr(status),
            )
        )
    overdue_raw = args.get("overdue", "").strip().lower()
    if overdue_raw not in ("", *TRUE, *FALSE):
        raise BadRequest(_("Filter 'overdue' must be 1 or 0, not %(value)s.", value=repr(overdue_raw)))
    site_raw = args.get("site", "").strip()
    corporate = site_raw == "corporate"
    q = args.get("q", "").strip() or None
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        raise BadRequest(_("The search text must be at most %(max)s characters.", max=MAX_QUERY_LENGTH))
    sort = args.get("sort", "").strip() or "due"
    if sort not in SORTS:
        raise BadRequest(
            _(
                "Cannot sort by %(value)s; choose one of %(choices)s.",
                value=repr(sort),
                choices=", ".join(SORTS),
            )
        )
    ownerless = args.get("owner", "").strip().lower() == NONE
    due_raw = args.get("due", "").strip().lower()
    if due_raw not in ("", NONE):
        raise BadRequest(
            _(
                "Filter 'due' must be 'none' (controls without a due date), not %(value)s.",
                value=repr(due_raw),
            )
        )
    return ControlFilters(
        department=_int(args, "department"),
        status=status,
        overdue=overdue_raw in TRUE,
        due_within=_int(args, "due_within", 0, MAX_DAYS),
        site=None if corporate else _int(args, "site"),
        corporate=corporate,
        risk=_int(args, "risk"),
        owner=None if ownerless else _int(args, "owner"),
        ownerless=ownerless,
        undated=due_raw == NONE,
        q=q,
        sort=sort,
    )


def ownerless_condition() -> sa.ColumnElement[bool]:
    """No owner, or an owner whose account is deactivated: the work belongs to nobody."""
    inactive = sa.select(User.id).where(User.active.is_(False))
    return sa.or_(Control.owner_id.is_(None), Control.owner_id.in_(inactive))


def ownerless_open_condition() -> sa.ColumnElement[bool]:
    return sa.and_(Control.status.in_(OPEN_CONTROL_STATUSES), ownerless_condition())


def undated_open_condition() -> sa.ColumnElement[bool]:
    """Open without a due date: it never becomes overdue and no reminder lists it."""
    return sa.and_(Control.status.in_(OPEN_CONTROL_STATUSES), Control.due_date.is_(None))


# The tracker's statements are built once per shape of filters (which are set, not their values)
# and day, and run with these filters' values as bind parameters, by these names (as the register's:
# riskreg.risks.filters.BOUND). The search text is bound as its LIKE pattern.
BOUND = {
    "department": "control_department",
    "owner": "control_owner",
    "risk": "control_risk",
    "site": "control_site",
}
SEARCH_PARAMETER = "control_q"


def shape(filters: ControlFilters) -> ControlFilters:
    """The filters with each bound value and the search text replaced by the same placeholder."""
    placeholders: dict[str, Any] = {name: 0 for name in BOUND if getattr(filters, name) is not None}
    if filters.q:
        placeholders["q"] = "*"
    return replace(filters, **placeholders)


def bound_values(filters: ControlFilters) -> dict[str, Any]:
    """The bind parameters of a statement built from shape(filters) with conditions(bind=True)."""
    values = {BOUND[name]: getattr(filters, name) for name in BOUND if getattr(filters, name) is not None}
    if filters.q:  # a substring, any case
        values[SEARCH_PARAMETER] = contains_pattern(filters.q.lower())
    return values


def conditions(
    filters: ControlFilters,
    on: date,
    *,
    include_department: bool = True,
    include_status: bool = True,
    bind: bool = False,
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for the filters on `on`. With `bind`, the bound filters (BOUND) and the search
    text are named parameters: see bound_values()."""

    def value(name: str) -> Any:
        return sa.bindparam(BOUND[name]) if bind else getattr(filters, name)

    where: list[sa.ColumnElement[bool]] = []
    if include_department and filters.department is not None:
        where.append(Control.department_id == value("department"))
    if include_status and filters.status is not None:
        where.append(Control.status.in_(STATUS_GROUPS[filters.status]))
    # Both asked: "overdue or due within N days", the set a reminder mail lists.
    timing = []
    if filters.overdue:
        timing.append(Control.is_overdue(on))
    if filters.due_within is not None:
        timing.append(Control.is_due_within(on, filters.due_within))
    if timing:
        where.append(sa.or_(*timing))
    if filters.owner is not None:
        where.append(Control.owner_id == value("owner"))
    if filters.ownerless:
        where.append(ownerless_condition())
    if filters.undated:
        where.append(Control.due_date.is_(None))
    if filters.risk is not None:
        where.append(
            Control.id.in_(
                sa.select(risk_controls.c.control_id).where(risk_controls.c.risk_id == value("risk"))
            )
        )
    if filters.site is not None or filters.corporate:
        site_match = Risk.site_id.is_(None) if filters.corporate else Risk.site_id == value("site")
        where.append(
            Control.id.in_(
                sa.select(risk_controls.c.control_id)
                .join(Risk, Risk.id == risk_controls.c.risk_id)
                .where(site_match)
            )
        )
    if filters.q:
        pattern = (
            sa.bindparam(SEARCH_PARAMETER, type_=sa.String)
            if bind
            else bound_values(filters)[SEARCH_PARAMETER]
        )
        where.append(
            sa.or_(
                sa.func.lower(Control.title).like(pattern, escape=LIKE_ESCAPE),
                sa.func.lower(Control.ref).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    return where


def order_by(filters: ControlFilters) -> list[Any]:
    key, descending = filters.sort.lstrip("-"), filters.sort.startswith("-")
    if key == "due":
        column = Control.due_date.desc() if descending else Control.due_date.asc()
        return [sa.nulls_last(column), Control.id.desc() if descending else Control.id.asc()]
    column = {"ref": Control.id, "updated": Control.updated_at}[key]
    return [
        column.desc() if descending else column.asc(),
        Control.id.desc() if descending else Control.id.asc(),
    ]
