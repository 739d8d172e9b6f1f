"""Reading grievances: the filtered list, the KPIs, the choices of the forms, the /me section.

Nothing here returns a complainant's identity: that is read only through services.complainant_of."""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg import reads
from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.grievances.models import Grievance, GrievanceCategory, GrievanceStatus, GrievanceStep
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.modeling import today

LIST_LIMIT = 200


@dataclass
class GrievanceFilters:
    site: int | None = None
    status: GrievanceStatus | None = None
    category: GrievanceCategory | None = None
    department: int | None = None
    year: int | None = None
    overdue: bool = False

    @classmethod
    def from_args(cls, args: Any) -> GrievanceFilters:
        def integer(name: str) -> int | None:
            try:
                return int(args.get(name)) if args.get(name) else None
            except ValueError:
                return None

        def member(enum_cls: Any, name: str) -> Any:
            try:
                return enum_cls(args.get(name)) if args.get(name) else None
            except ValueError:
                return None

        return cls(
            site=integer("site"),
            status=member(GrievanceStatus, "status"),
            category=member(GrievanceCategory, "category"),
            department=integer("department"),
            year=integer("year"),
            overdue=args.get("overdue") in ("1", "yes", "on", "true"),
        )

    def clauses(self, limits: services.Deadlines, on: date | None = None) -> list[Any]:
        where: list[Any] = []
        if self.site:
            where.append(Grievance.site_id == self.site)
        if self.status:
            where.append(Grievance.status == self.status)
        if self.category:
            where.append(Grievance.category == self.category)
        if self.department:
            where.append(Grievance.owner_department_id == self.department)
        if self.year:
            where.append(Grievance.received_on.between(date(self.year, 1, 1), date(self.year, 12, 31)))
        if self.overdue:
            where.append(Grievance.status != GrievanceStatus.CLOSED)
            where.append(services.overdue_clause(limits, on or today()))
        return where

    def as_args(self) -> dict[str, Any]:
        args = {
            "site": self.site,
            "status": self.status.value if self.status else None,
            "category": self.category.value if self.category else None,
            "department": self.department,
            "year": self.year,
            "overdue": "1" if self.overdue else None,
        }
        return {key: value for key, value in args.items() if value}


def grievance_rows(filters: GrievanceFilters, limit: int = LIST_LIMIT) -> tuple[list[Grievance], int]:
    """Newest first, with site, stakeholder and department loaded; and the total count."""
    where = filters.clauses(services.deadlines())
    total = db.session.scalar(sa.select(sa.func.count(Grievance.id)).where(*where)) or 0
    rows = list(
        db.session.scalars(
            sa.select(Grievance)
            .where(*where)
            .order_by(Grievance.received_on.desc(), Grievance.id.desc())
            .limit(limit)
            .options(
                selectinload(Grievance.site),
                selectinload(Grievance.stakeholder),
                selectinload(Grievance.owner_department),
            )
        )
    )
    return rows, total


def names_of(grievance: Grievance) -> dict[str, Any]:
    """The site, stakeholder and owner department of one grievance (for its page)."""
    from riskreg.departments.models import Department
    from riskreg.sites.models import Site
    from riskreg.stakeholders.models import Stakeholder

    return {
        "site": db.session.get(Site, grievance.site_id),
        "stakeholder": db.session.get(Stakeholder, grievance.stakeholder_id)
        if grievance.stakeholder_id
        else None,
        "department": db.session.get(Department, grievance.owner_department_id)
        if grievance.owner_department_id
        else None,
    }


def steps_of(grievance_id: int) -> list[GrievanceStep]:
    return list(
        db.session.scalars(
            sa.select(GrievanceStep)
            .where(GrievanceStep.grievance_id == grievance_id)
            .order_by(GrievanceStep.on, GrievanceStep.id)
            .options(selectinload(GrievanceStep.by))
        )
    )


@dataclass
class Kpis:
    received: int = 0
    per_month: list[tuple[str, int]] = field(default_factory=list)
    per_category: list[tuple[str, int]] = field(default_factory=list)
    per_month_category: dict[str, dict[str, int]] = field(default_factory=dict)
    acknowledged_on_time: float | None = None  # share of those due (or acknowledged); None: none due
    resolved_on_time: float | None = None
    average_days_to_close: float | None = None
    appeal_share: float | None = None
    repeat_grievances: int = 0  # grievances from a stakeholder who raised more than one
    repeat_stakeholders: list[tuple[str, int]] = field(default_factory=list)
    open_overdue: int = 0


@functools.lru_cache(maxsize=64)
def _kpi_rows(filters: tuple[Any, ...], limits: services.Deadlines, on: date) -> sa.Select:
    """What the KPIs read of each grievance, built once per filters, deadlines and day (the
    dashboard asks on every view; building the statement cost more than running it)."""
    return sa.select(
        Grievance.received_on,
        Grievance.category,
        Grievance.status,
        Grievance.acknowledged_on,
        Grievance.resolved_on,
        Grievance.appeal_on,
        Grievance.closed_on,
        Grievance.stakeholder_id,
    ).where(*GrievanceFilters(*filters).clauses(limits, on))


def kpis(filters: GrievanceFilters, on: date | None = None) -> Kpis:
    """The mechanism's KPIs over the filtered grievances (two queries)."""
    from riskreg.stakeholders.models import Stakeholder

    on = on or today()
    limits = services.deadlines()
    rows = reads.rows(_kpi_rows(dataclasses.astuple(filters), limits, on))
    result = Kpis(received=len(rows))
    if not rows:
        return result
    months: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    grid: dict[str, Counter[str]] = {}
    ack_due = ack_met = res_due = res_met = appealed = 0
    close_days: list[int] = []
    by_stakeholder: Counter[int] = Counter()
    ack_days, respond_days = limits.acknowledge_days, limits.respond_days
    for received, category, status, acknowledged, resolved, appeal, closed, stakeholder_id in rows:
        month = received.strftime("%Y-%m")
        months[month] += 1
        categories[category.label] += 1
        grid.setdefault(month, Counter())[category.label] += 1
        age = (on - received).days
        if acknowledged is not None or age > ack_days:
            ack_due += 1
            ack_met += acknowledged is not None and (acknowledged - received).days <= ack_days
        if resolved is not None or age > respond_days:
            res_due += 1
            res_met += resolved is not None and (resolved - received).days <= respond_days
        appealed += appeal is not None
        if closed is not None:
            close_days.append((closed - received).days)
        if stakeholder_id is not None:
            by_stakeholder[stakeholder_id] += 1
        if status is not GrievanceStatus.CLOSED and (
            (acknowledged is None and age > ack_days)
            or (status not in services.RESPONDED and age > respond_days)
        ):
            result.open_overdue += 1
    result.per_month = sorted(months.items())
    result.per_category = categories.most_common()
    result.per_month_category = {month: dict(counts) for month, counts in sorted(grid.items())}
    result.acknowledged_on_time = ack_met / ack_due if ack_due else None
    result.resolved_on_time = res_met / res_due if res_due else None
    result.average_days_to_close = sum(close_days) / len(close_days) if close_days else None
    result.appeal_share = appealed / len(rows)
    repeats = {sid: n for sid, n in by_stakeholder.items() if n > 1}
    result.repeat_grievances = sum(repeats.values())
    if repeats:
        names = {
            sid: name
            for sid, name in db.session.execute(
                sa.select(Stakeholder.id, Stakeholder.name).where(Stakeholder.id.in_(list(repeats)))
            )
        }
        result.repeat_stakeholders = sorted(
            ((names.get(sid, f"#{sid}"), n) for sid, n in repeats.items()),
            key=lambda pair: (-pair[1], pair[0]),
        )
    return result


def site_choices() -> list[tuple[int, str]]:
    from riskreg.sites.models import Site

    return [(s.id, s.name) for s in db.session.scalars(sa.select(Site).order_by(Site.name))]


def stakeholder_choices() -> list[tuple[int, str]]:
    """Every active stakeholder as "Site · name" (the service refuses one of another site)."""
    from riskreg.sites.models import Site
    from riskreg.stakeholders.models import Stakeholder

    rows = db.session.execute(
        sa.select(Stakeholder.id, Site.name, Stakeholder.name)
        .join(Site, Site.id == Stakeholder.site_id)
        .where(Stakeholder.active.is_(True))
        .order_by(Site.name, Stakeholder.name)
    )
    return [(sid, f"{site} · {name}") for sid, site, name in rows]


def department_choices() -> list[tuple[int, str]]:
    from riskreg.departments.models import Department

    return [(d.id, d.name) for d in db.session.scalars(sa.select(Department).order_by(Department.name))]


def linked_risks(grievance_id: int) -> list[Any]:
    from riskreg.grievances.models import grievance_risks
    from riskreg.risks.models import Risk

    return list(
        db.session.scalars(
            sa.select(Risk)
            .join(grievance_risks, grievance_risks.c.risk_id == Risk.id)
            .where(grievance_risks.c.grievance_id == grievance_id)
            .order_by(Risk.id)
        )
    )


def linked_controls(grievance_id: int) -> list[Any]:
    from riskreg.controls.models import Control
    from riskreg.grievances.models import grievance_controls

    return list(
        db.session.scalars(
            sa.select(Control)
            .join(grievance_controls, grievance_controls.c.control_id == Control.id)
            .where(grievance_controls.c.grievance_id == grievance_id)
            .order_by(Control.id)
        )
    )


def grievances_of_risk(risk_id: int) -> list[Grievance]:
    return list(db.session.scalars(_grievances_of_risk(), {"risk_id": risk_id}))


@functools.cache
def _grievances_of_risk() -> sa.Select:
    """Built once (a risk's page runs it): its cache key is not derived anew on each page."""
    from riskreg.grievances.models import grievance_risks

    return (
        sa.select(Grievance)
        .join(grievance_risks, grievance_risks.c.grievance_id == Grievance.id)
        .where(grievance_risks.c.risk_id == sa.bindparam("risk_id"))
        .order_by(Grievance.received_on.desc())
    )


def overdue_of_department(
    department_id: int | None, on: date, limits: services.Deadlines, limit: int = 20
) -> tuple[list[Grievance], int]:
    """Open grievances owned by a department (all departments for None) past a deadline: at most
    `limit` of them, and how many (one query; a count too when `limit` of them fill the list)."""
    where = [Grievance.status != GrievanceStatus.CLOSED, services.overdue_clause(limits, on)]
    if department_id is not None:
        where.append(Grievance.owner_department_id == department_id)
    rows = list(
        db.session.scalars(
            sa.select(Grievance).where(*where).order_by(Grievance.received_on, Grievance.id).limit(limit)
        )
    )
    if len(rows) < limit:
        return rows, len(rows)
    return rows, db.session.scalar(sa.select(sa.func.count(Grievance.id)).where(*where)) or 0


@dataclass
class DisclosureGrievances:
    site: str
    received: int
    closed: int
    open: int
    reached_appeal: int
    human_rights: int
    categories: list[tuple[str, int]]


def linked_grievance_condition(risk_id: Any, kind: str) -> Any:
    """The register's grievance filter: the risk is linked to a grievance (any), to one not closed
    (open), or to a severe one (services.severe_clause)."""
    from riskreg.grievances.models import grievance_risks

    linked = sa.select(grievance_risks.c.risk_id).join(
        Grievance, Grievance.id == grievance_risks.c.grievance_id
    )
    if kind == "open":
        linked = linked.where(Grievance.status != GrievanceStatus.CLOSED)
    elif kind == "severe":
        linked = linked.where(services.severe_clause())
    return risk_id.in_(linked)


def asm_related_clause() -> Any:
    """Grievances related to ASM: raised by an ASM stakeholder, or linked to a risk to ASM."""
    from riskreg.grievances.models import grievance_risks
    from riskreg.risks.models import Direction, Risk
    from riskreg.stakeholders.models import ASM_TYPES, Stakeholder

    by_asm = Grievance.stakeholder_id.in_(
        sa.select(Stakeholder.id).where(Stakeholder.type.in_([t.value for t in ASM_TYPES]))
    )
    to_asm = Grievance.id.in_(
        sa.select(grievance_risks.c.grievance_id)
        .join(Risk, Risk.id == grievance_risks.c.risk_id)
        .where(Risk.direction == Direction.TO_ASM)
    )
    return sa.or_(by_asm, to_asm)


def disclosure_grievances(year: int) -> list[DisclosureGrievances]:
    """The ASM disclosure report: grievances related to ASM received in the year, per site."""
    from riskreg.sites.models import Site

    rows = db.session.execute(
        sa.select(
            Site.name,
            Grievance.status,
            Grievance.appeal_on,
            Grievance.human_rights_impact,
            Grievance.category,
        )
        .join(Site, Site.id == Grievance.site_id)
        .where(Grievance.received_on.between(date(year, 1, 1), date(year, 12, 31)), asm_related_clause())
        .order_by(Site.name)
    )
    lines: dict[str, DisclosureGrievances] = {}
    categories: dict[str, Counter[str]] = {}
    for site, status, appeal_on, human_rights, category in rows:
        line = lines.setdefault(site, DisclosureGrievances(site, 0, 0, 0, 0, 0, []))
        line.received += 1
        line.closed += status is GrievanceStatus.CLOSED
        line.open += status is not GrievanceStatus.CLOSED
        line.reached_appeal += appeal_on is not None
        line.human_rights += bool(human_rights)
        categories.setdefault(site, Counter())[category.label] += 1
    for site, line in lines.items():
        line.categories = categories[site].most_common()
    return list(lines.values())


def my_department_overdue_grievances(user: Any, on: date) -> Any:
    """/me: open grievances past a deadline, of the user's department (every department for a
    grievance officer); for those who may handle them."""
    from flask import url_for

    from riskreg.auth.models import Role
    from riskreg.auth.permissions import Permission, has_permission
    from riskreg.me.sections import Item, Section

    if not has_permission(user, Permission.RECORD_GRIEVANCES):
        return None
    if user.role is Role.GRIEVANCE_OFFICER:
        department = None
    elif user.department_id is not None:
        department = user.department_id
    else:
        return None
    limits = services.deadlines()
    rows, total = overdue_of_department(department, on, limits)
    items = [
        Item(
            label=_(
                "%(ref)s %(category)s, received %(date)s",
                ref=g.ref,
                category=g.category.label,
                date=day(g.received_on),
            ),
            url=url_for("grievances.detail", grievance_id=g.id),
            detail="; ".join(services.overdue_reasons(g, limits, on)),
            action_label=_l("Take the next step"),
            urgent=True,
        )
        for g in rows
    ]
    args = {"overdue": "1"} | ({"department": department} if department else {})
    return Section(
        key="grievances_overdue",
        title=_l("Grievances of my department past a deadline"),
        items=items,
        total=total,
        more_url=url_for("grievances.list", **args),
    )
