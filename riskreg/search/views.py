"""/search?q=...: the header's search box, results grouped by kind, best first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg.auth.permissions import Permission, permission_required
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.risks.models import Risk
from riskreg.search import queries
from riskreg.search.queries import MAX_QUERY
from riskreg.sites.models import AsmObservation, Engagement, Site
from riskreg.standards.models import Requirement

# In the page's order. Everything here is readable with Permission.VIEW (the register, the tracker,
# site pages with their timeline, the standards). Grievances are not searchable: who raised what is
# confidential and their pages have rules of their own (riskreg/grievances).
KINDS: dict[str, tuple[str, Any]] = {
    "risk": (_l("Risks"), Risk),
    "control": (_l("Controls"), Control),
    "site": (_l("Sites"), Site),
    "requirement": (_l("Requirements"), Requirement),
    "engagement": (_l("Engagements"), Engagement),
    "observation": (_l("ASM observations"), AsmObservation),
}


@dataclass
class Result:
    label: str  # ref or kind
    title: str
    url: str
    detail: str  # a line of context


def _result(kind: str, row: Any) -> Result:
    if kind == "risk":
        site = row.site.name if row.site else _("Corporate")
        return Result(
            row.ref or "", row.title, url_for("risks.detail", risk_id=row.id), f"{site} · {row.status.label}"
        )
    if kind == "control":
        return Result(
            row.ref or "", row.title, url_for("controls.detail", control_id=row.id), row.status.label
        )
    if kind == "site":
        return Result(_("Site"), row.name, url_for("sites.detail", site_id=row.id), row.country)
    if kind == "requirement":
        return Result(
            row.identifier,
            translate(row.title) or "",
            url_for("standards.requirement", requirement_id=row.id),
            translate(row.framework) or "",
        )
    site_url = url_for("sites.detail", site_id=row.site_id) + "#timeline"
    if kind == "engagement":
        return Result(
            day(row.held_on),
            _("%(group)s at %(site)s", group=row.stakeholder_group.label, site=row.site.name),
            site_url,
            (row.topics or "")[:160],
        )
    return Result(
        day(row.observed_on),
        _("Observation at %(site)s", site=row.site.name),
        site_url,
        (row.notes or row.minerals)[:160],
    )


def _load(kind: str, ids: list[int]) -> dict[int, Any]:
    model = KINDS[kind][1]
    stmt = sa.select(model).where(model.id.in_(ids))
    if kind == "risk":
        stmt = stmt.options(selectinload(Risk.site))
    elif kind in ("engagement", "observation"):
        stmt = stmt.options(selectinload(model.site))
    return {row.id: row for row in db.session.scalars(stmt)}


@permission_required(Permission.VIEW)
def index():
    q = request.args.get("q", "")
    groups: list[tuple[str, str, list[Result]]] = []
    results = None
    if q.strip():
        results = queries.search(q, list(KINDS))  # every kind is readable with VIEW (above)
        for kind, hits in results.hits.items():
            rows = _load(kind, [hit.id for hit in hits])
            groups.append((kind, KINDS[kind][0], [_result(kind, rows[h.id]) for h in hits if h.id in rows]))
    return render_template(
        "search/results.html", q=q[:MAX_QUERY], results=results, groups=groups, per_kind=queries.PER_KIND
    )
