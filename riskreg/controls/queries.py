"""Read-side queries: the tracker page with counts per department and status, a department's open
controls, one control with everything it links to. Query counts do not grow with the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg import reads
from riskreg.auth.models import Role, User
from riskreg.auth.permissions import Permission, has_permission
from riskreg.controls import filters as control_filters
from riskreg.controls.filters import STATUS_GROUPS, ControlFilters
from riskreg.controls.models import (
    OPEN_CONTROL_STATUSES,
    Control,
    ControlEvidence,
    ControlNote,
    ControlStatus,
    risk_controls,
)
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.me.sections import Item, Listing, Section, due_words
from riskreg.paging import PageNumbers
from riskreg.params import is_digits
from riskreg.risks.models import Risk, format_ref
from riskreg.sites.models import Site
from riskreg.urls import id_url


@dataclass
class DepartmentCounts:
    department_id: int
    name: str
    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in ControlStatus})
    overdue: int = 0
    ownerless: int = 0  # open, belonging to nobody
    undated: int = 0  # open, without a due date

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass
class CountTable:
    rows: list[DepartmentCounts]
    totals: DepartmentCounts


@dataclass
class Page(PageNumbers):
    items: list[Any]  # Control objects (the API), or ControlRow (the pages' lists)
    total: int
    page: int
    per_page: int


@dataclass(frozen=True, slots=True)
class RiskLink:
    """A risk a control mitigates, as a list of controls names it."""

    id: int
    ref: str
    title: str
    url: str


@dataclass(slots=True)
class ControlRow:
    """A control as the lists show it (the tracker, a department's page): only the columns they print,
    read with Core (a page of whole controls with their departments, owners and risks as objects
    cost more than the page's SQL). `late`: days overdue, 0 when it is not."""

    id: int
    ref: str
    title: str
    url: str
    department_id: int
    owner: str | None  # the owner's name
    due_date: date | None
    status: ControlStatus
    version: int
    late: int
    closed_at: Any = None
    closed_by: str | None = None  # the name of who closed it (awaiting verification)
    risks: list[RiskLink] = field(default_factory=list)
    department: str = ""  # its name, where the list shows it (the tracker)


@cache
def _people() -> tuple[Any, Any]:
    """The users a row names: its owner, and who closed it (made on first use, as list_options)."""
    return sa.orm.aliased(User, name="owner"), sa.orm.aliased(User, name="closer")


def _row_select(on: date, *extra: Any) -> sa.Select:
    overdue = Control.is_overdue(on).label("overdue")  # the model's rule, as SQL
    owner = _people()[0]
    return sa.select(
        Control.id,
        Control.ref,
        Control.title,
        Control.department_id,
        owner.name,
        Control.due_date,
        Control.status,
        Control.version,
        overdue,
        *extra,
    ).outerjoin(owner, owner.id == Control.owner_id)


def _rows(stmt: sa.Select, on: date, params: dict[str, Any] | None = None) -> list[ControlRow]:
    """The rows of a _row_select (its extra columns last, in ControlRow's order)."""
    url = id_url("controls.detail", "control_id")
    rows = []
    found = reads.rows(stmt, params)
    for id_, ref, title, department, owner, due, status, version, overdue, *extra in found:
        late = (on - due).days if overdue else 0
        rows.append(
            ControlRow(id_, ref, title, url(id_), department, owner, due, status, version, late, *extra)
        )
    return rows


# A statement of the same shape on every page is built once (per day when it holds dates) and run
# with bind parameters for the rest: building a statement and its SQL cache key costs more Python
# than running it (~0.25 ms against ~0.1).


@cache
def _risks_of() -> sa.Select:
    return (
        sa.select(risk_controls.c.control_id, Risk.id, Risk.ref, Risk.title)
        .join(Risk, Risk.id == risk_controls.c.risk_id)
        .where(risk_controls.c.control_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Risk.id)
    )


def with_risks(rows: list[ControlRow]) -> list[ControlRow]:
    """Fills in each row's risks (by id, as the lists show them) in one query for all the rows."""
    by_id = {row.id: row for row in rows}
    if not by_id:
        return rows
    url = id_url("risks.detail", "risk_id")
    for control_id, risk_id, ref, title in reads.rows(_risks_of(), {"ids": list(by_id)}):
        by_id[control_id].risks.append(RiskLink(risk_id, ref, title, url(risk_id)))
    return rows


@cache
def list_options() -> tuple[Any, ...]:
    """What every list of controls shows, loaded with it. Built on first use, not at import: building
    loader options configures the mappers, which needs every model (users, requirements) imported."""
    return (
        selectinload(Control.department),
        selectinload(Control.owner),
        selectinload(Control.risks),
    )


@cache
def _menus() -> sa.CompoundSelect:
    """The tracker's three menus in one query, built once: every department (kind 0), every site
    (kind 1), then the active people (kind 2), each by name."""
    departments = sa.select(sa.literal_column("0").label("kind"), Department.id, Department.name)
    sites = sa.select(sa.literal_column("1"), Site.id, Site.name)
    people = sa.select(sa.literal_column("2"), User.id, User.name).where(User.active.is_(True))
    return sa.union_all(departments, sites, people).order_by("kind", "name", "id")


def tracker_menus() -> tuple[list[Any], list[Any], list[Any]]:
    """(departments, sites, active people) as (id, name) rows by name: the tracker's filters, its
    count table's names and its bulk form."""
    menus: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for row in db.session.execute(_menus()):
        menus[row.kind].append(row)
    return menus


def count_table(filters: ControlFilters, on: date, names: dict[int, str] | None = None) -> CountTable:
    """One GROUP BY over (department, status), with the overdue count beside it. The status filter is
    left out, so every cell can be clicked to narrow the list; the department filter is kept, so a
    department's tracker reads its own controls only (an index range, not all 300k controls)."""
    stmt = _count_statement(control_filters.shape(filters), on)
    if names is None:
        names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    rows: dict[int, DepartmentCounts] = {}
    totals = DepartmentCounts(0, "All departments")
    for department_id, status, count, late, nobody, no_date in db.session.execute(
        stmt, control_filters.bound_values(filters)
    ):
        row = rows.setdefault(department_id, DepartmentCounts(department_id, names.get(department_id, "?")))
        for counts in (row, totals):
            counts.by_status[status.value] += count
            counts.overdue += late or 0
            counts.ownerless += nobody or 0
            counts.undated += no_date or 0
    return CountTable(sorted(rows.values(), key=lambda r: r.name.lower()), totals)


@lru_cache(maxsize=128)
def _count_statement(shape: ControlFilters, on: date) -> sa.Select:
    """count_table's statement for one shape of filters (control_filters.shape) and day."""
    overdue = sa.func.sum(sa.case((Control.is_overdue(on), 1), else_=0))
    ownerless = sa.func.sum(sa.case((control_filters.ownerless_open_condition(), 1), else_=0))
    undated = sa.func.sum(sa.case((control_filters.undated_open_condition(), 1), else_=0))
    return (
        sa.select(
            Control.department_id, Control.status, sa.func.count(Control.id), overdue, ownerless, undated
        )
        .where(*control_filters.conditions(shape, on, include_status=False, bind=True))
        .group_by(Control.department_id, Control.status)
    )


def matching_total(table: CountTable, filters: ControlFilters) -> int:
    """The number of controls matching every filter, read off the count table (no extra COUNT)."""
    rows = [r for r in table.rows if filters.department in (None, r.department_id)]
    statuses = [s.value for s in STATUS_GROUPS[filters.status]] if filters.status else None
    return sum(n for r in rows for s, n in r.by_status.items() if statuses is None or s in statuses)


def tracker_page(filters: ControlFilters, page: int, per_page: int, on: date) -> tuple[Page, CountTable]:
    table = count_table(filters, on)
    stmt = (
        sa.select(Control)
        .where(*control_filters.conditions(filters, on))
        .order_by(*control_filters.order_by(filters))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(*list_options())
    )
    return Page(list(db.session.scalars(stmt)), matching_total(table, filters), page, per_page), table


def tracker_rows(
    filters: ControlFilters, page: int, per_page: int, on: date, names: dict[int, str]
) -> tuple[Page, CountTable]:
    """The tracker page's rows (ControlRow) and count table; `names`: every department's name."""
    table = count_table(filters, on, names)
    params = control_filters.bound_values(filters) | {
        "page_limit": per_page,
        "page_offset": (page - 1) * per_page,
    }
    rows = with_risks(_rows(_tracker_statement(control_filters.shape(filters), on), on, params))
    for row in rows:
        row.department = names.get(row.department_id, "?")
    return Page(rows, matching_total(table, filters), page, per_page), table


@lru_cache(maxsize=128)
def _tracker_statement(shape: ControlFilters, on: date) -> sa.Select:
    """A tracker page's rows for one shape of filters (control_filters.shape) and day."""
    return (
        _row_select(on)
        .where(*control_filters.conditions(shape, on, bind=True))
        .order_by(*control_filters.order_by(shape))
        .limit(sa.bindparam("page_limit", type_=sa.Integer))
        .offset(sa.bindparam("page_offset", type_=sa.Integer))
    )


@dataclass
class DepartmentSummary:
    open: int
    overdue: int
    due_soon: int


@lru_cache(maxsize=4)
def _summary(on: date, horizon_days: int) -> sa.Select:
    overdue, soon = Control.is_overdue(on), Control.is_due_within(on, horizon_days)
    return sa.select(
        sa.func.count(Control.id),
        sa.func.sum(sa.case((overdue, 1), else_=0)),
        sa.func.sum(sa.case((soon, 1), else_=0)),
    ).where(Control.department_id == sa.bindparam("department_id"), Control.status.in_(OPEN_CONTROL_STATUSES))


def department_summary(department_id: int, on: date, horizon_days: int) -> DepartmentSummary:
    row = reads.one(_summary(on, horizon_days), {"department_id": department_id})
    return DepartmentSummary(row[0] or 0, row[1] or 0, row[2] or 0)


@lru_cache(maxsize=4)
def _open_of_department(on: date) -> sa.Select:
    return (
        _row_select(on)
        .where(
            Control.department_id == sa.bindparam("department_id"), Control.status.in_(OPEN_CONTROL_STATUSES)
        )
        .order_by(sa.nulls_last(Control.due_date.asc()), Control.id.asc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
    )


def department_open_page(department_id: int, page: int, per_page: int, total: int, on: date) -> Page:
    """Open controls (ControlRow, risks not filled in), overdue first then by due date: ascending due
    dates put every overdue one (due before today) ahead of the rest, and undated ones last."""
    params = {"department_id": department_id, "limit": per_page, "offset": (page - 1) * per_page}
    return Page(_rows(_open_of_department(on), on, params), total, page, per_page)


@lru_cache(maxsize=4)
def _awaiting_of_department(on: date) -> sa.Select:
    closer = _people()[1]
    return (
        _row_select(on, Control.closed_at, closer.name)
        .outerjoin(closer, closer.id == Control.closed_by_id)
        .where(
            Control.department_id == sa.bindparam("department_id"),
            Control.status == ControlStatus.IMPLEMENTED,
        )
        .order_by(Control.closed_at.desc(), Control.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def awaiting_verification(department_id: int, on: date, limit: int = 20) -> list[ControlRow]:
    """Implemented controls (ControlRow with who closed them, risks not filled in), latest first."""
    return _rows(_awaiting_of_department(on), on, {"department_id": department_id, "limit": limit})


def control_with_links(control_id: int) -> Control | None:
    stmt = (
        sa.select(Control)
        .where(Control.id == control_id)
        .options(
            selectinload(Control.department),
            selectinload(Control.owner),
            selectinload(Control.closed_by),
            selectinload(Control.verified_by),
            selectinload(Control.risks).selectinload(Risk.site),
            selectinload(Control.notes).selectinload(ControlNote.author),
            selectinload(Control.evidence).selectinload(ControlEvidence.uploaded_by),
        )
    )
    return db.session.scalar(stmt)


def control_by_ref(ref: str) -> Control | None:
    """'C-0012', 'c-12' or '12' all name control 12."""
    raw = ref.strip().upper().removeprefix("C").lstrip("-").strip()
    if not is_digits(raw) or len(raw) > 9:
        return None
    return db.session.scalar(
        sa.select(Control)
        .where(Control.ref == format_ref("C", int(raw)))
        .options(selectinload(Control.risks))
    )


# "My work" sections (riskreg/me/sections.py): what is each person's to do now about controls. Each
# reads the few columns an item shows, with its total, in one statement built once (Listing).

_SECTION_COLUMNS = (Control.id, Control.ref, Control.title, Control.due_date)


def _item(control: Any, on: date, url: Callable[[int], str], detail: str = "", action: Any = None) -> Item:
    words, urgent = due_words(control.due_date, on)
    return Item(
        f"{control.ref} {control.title}",
        url(control.id),
        detail or words,
        action if action is not None else _l("Open"),
        urgent and not detail,
    )


@cache
def _verification_queue() -> Listing:
    return Listing(
        sa.select(*_SECTION_COLUMNS, Control.closed_at, Department.name.label("department"))
        .join(Department, Department.id == Control.department_id)
        .where(Control.status == ControlStatus.IMPLEMENTED)
        .order_by(Control.closed_at, Control.id)
    )


def verification_queue(user: Any, on: date) -> Section | None:
    """Risk managers: implemented controls awaiting verification, the longest waiting first."""
    if not has_permission(user, Permission.MANAGE_CONTROLS):
        return None
    controls, total = _verification_queue().run()
    if not total:
        return None
    url = id_url("controls.detail", "control_id")
    items = [
        _item(
            c,
            on,
            url,
            _("%(department)s, implemented %(date)s", department=c.department, date=day(c.closed_at))
            if c.closed_at
            else "",
            _l("Verify"),
        )
        for c in controls
    ]
    more = url_for("controls.list", status="implemented")
    return Section("verify", _l("Controls implemented, awaiting verification"), items, total, more)


@cache
def _department_controls() -> Listing:
    return Listing(
        sa.select(*_SECTION_COLUMNS)
        .where(
            Control.department_id == sa.bindparam("department_id"),
            Control.status.in_(OPEN_CONTROL_STATUSES),
        )
        .order_by(sa.nulls_last(Control.due_date.asc()), Control.id)
    )


def my_department_controls(user: Any, on: date) -> Section | None:
    """Department heads: their department's open controls, overdue first, then by due date."""
    if user.role is not Role.DEPARTMENT_HEAD or user.department_id is None:
        return None
    controls, total = _department_controls().run(department_id=user.department_id)
    if not total:
        return None
    title = (
        _l("Open controls of %(department)s", department=user.department.name)
        if user.department
        else _l("Open controls of my department")
    )
    url = id_url("controls.detail", "control_id")
    return Section(
        "department", title, [_item(c, on, url) for c in controls], total, url_for("controls.mine")
    )


@cache
def _overdue_controls(other_departments: bool) -> Listing:
    stmt = sa.select(*_SECTION_COLUMNS).where(
        Control.owner_id == sa.bindparam("user_id"), Control.is_overdue(sa.bindparam("on", type_=sa.Date))
    )
    if other_departments:
        stmt = stmt.where(Control.department_id != sa.bindparam("department_id"))
    return Listing(stmt.order_by(Control.due_date, Control.id))


def my_overdue_controls(user: Any, on: date) -> Section | None:
    """Controls I own that are overdue (a head's own department's are in the section above)."""
    if user.role is Role.DEPARTMENT_HEAD and user.department_id is not None:
        found = _overdue_controls(True).run(user_id=user.id, on=on, department_id=user.department_id)
    else:
        found = _overdue_controls(False).run(user_id=user.id, on=on)
    controls, total = found
    if not total:
        return None
    url = id_url("controls.detail", "control_id")
    more = url_for("controls.list", owner=user.id, overdue="yes")
    return Section(
        "overdue", _l("Controls I own that are overdue"), [_item(c, on, url) for c in controls], total, more
    )
