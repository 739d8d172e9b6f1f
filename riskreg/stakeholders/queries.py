"""The stakeholder map of a site (list and influence x interest grid), plans against engagements held,
stakeholders not engaged for a while, and the share of high-priority stakeholders engaged."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.sites.models import Engagement
from riskreg.stakeholders.models import HIGH, EngagementPlan, Stakeholder


def stakeholders_of(site_id: int | None = None) -> list[Stakeholder]:
    where = [Stakeholder.active.is_(True)]
    if site_id is not None:
        where.append(Stakeholder.site_id == site_id)
    return list(db.session.scalars(sa.select(Stakeholder).where(*where).order_by(Stakeholder.name)))


def retired_of(site_id: int) -> list[Stakeholder]:
    return list(
        db.session.scalars(
            sa.select(Stakeholder)
            .where(Stakeholder.site_id == site_id, Stakeholder.active.is_(False))
            .order_by(Stakeholder.name)
        )
    )


def retired_plans(site_id: int, year: int, by_id: dict[int, Stakeholder]) -> list[PlanLine]:
    """The year's retired plans at the site (of active or retired stakeholders), with what was held."""
    plans = db.session.scalars(
        sa.select(EngagementPlan)
        .where(
            EngagementPlan.site_id == site_id, EngagementPlan.year == year, EngagementPlan.active.is_(False)
        )
        .order_by(EngagementPlan.id)
    )
    plans = [p for p in plans if p.stakeholder_id in by_id]
    held = held_in_year([p.stakeholder_id for p in plans], year)
    return [PlanLine(p, by_id[p.stakeholder_id], held.get(p.stakeholder_id, 0)) for p in plans]


def last_engaged(stakeholder_ids: list[int]) -> dict[int, date]:
    if not stakeholder_ids:
        return {}
    rows = db.session.execute(
        sa.select(Engagement.stakeholder_id, sa.func.max(Engagement.held_on))
        .where(Engagement.stakeholder_id.in_(stakeholder_ids))
        .group_by(Engagement.stakeholder_id)
    )
    return {sid: held for sid, held in rows}


def held_in_year(stakeholder_ids: list[int], year: int) -> dict[int, int]:
    if not stakeholder_ids:
        return {}
    rows = db.session.execute(
        sa.select(Engagement.stakeholder_id, sa.func.count(Engagement.id))
        .where(
            Engagement.stakeholder_id.in_(stakeholder_ids),
            Engagement.held_on.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .group_by(Engagement.stakeholder_id)
    )
    return {sid: n for sid, n in rows}


@dataclass
class PlanLine:
    plan: EngagementPlan
    stakeholder: Stakeholder
    held: int

    @property
    def behind(self) -> bool:
        return self.held < self.plan.planned_count


@dataclass
class EngagementMap:
    stakeholders: list[Stakeholder]
    last: dict[int, date]
    stale: list[Stakeholder]  # not engaged in N months (or never)
    stale_months: int
    plans: list[PlanLine]
    planned: int
    held: int
    high_priority: int
    high_priority_engaged: int
    year: int
    retired: list[Stakeholder] = field(default_factory=list)  # the site's, to restore
    retired_plans: list[PlanLine] = field(default_factory=list)  # this year's retired plans, to restore

    @property
    def high_priority_share(self) -> float | None:
        return self.high_priority_engaged / self.high_priority if self.high_priority else None


def engagement_map(site_id: int | None, year: int | None = None, on: date | None = None) -> EngagementMap:
    """The site's (or every site's) map and this year's plans against engagements held."""
    on = on or today()
    year = year or on.year
    months = int(current_app.config.get("STAKEHOLDER_STALE_MONTHS", 6))
    stakeholders = stakeholders_of(site_id)
    ids = [s.id for s in stakeholders]
    last = last_engaged(ids)
    held = held_in_year(ids, year)
    cutoff = on - timedelta(days=30 * months)
    stale = [s for s in stakeholders if last.get(s.id) is None or last[s.id] < cutoff]
    where = [EngagementPlan.year == year, EngagementPlan.active.is_(True)]
    if site_id is not None:
        where.append(EngagementPlan.site_id == site_id)
    by_id = {s.id: s for s in stakeholders}
    plans = [
        PlanLine(plan, by_id[plan.stakeholder_id], held.get(plan.stakeholder_id, 0))
        for plan in db.session.scalars(sa.select(EngagementPlan).where(*where).order_by(EngagementPlan.id))
        if plan.stakeholder_id in by_id
    ]
    high = [s for s in stakeholders if s.high_priority]
    retired = retired_of(site_id) if site_id is not None else []
    return EngagementMap(
        retired=retired,
        retired_plans=retired_plans(site_id, year, by_id | {s.id: s for s in retired})
        if site_id is not None
        else [],
        stakeholders=stakeholders,
        last=last,
        stale=stale,
        stale_months=months,
        plans=plans,
        planned=sum(line.plan.planned_count for line in plans),
        held=sum(line.held for line in plans),
        high_priority=len(high),
        high_priority_engaged=sum(1 for s in high if held.get(s.id)),
        year=year,
    )


def grid_figure(stakeholders: list[Stakeholder]) -> dict[str, Any]:
    """Influence x interest: one marker per assessed stakeholder (JSON for static/js/dashboard.js)."""
    placed = [s for s in stakeholders if s.influence and s.interest]
    counts: dict[tuple[int, int], int] = {}
    xs, ys, labels = [], [], []
    for s in placed:
        n = counts.get((s.interest, s.influence), 0)
        counts[(s.interest, s.influence)] = n + 1
        xs.append(s.interest + 0.12 * (n % 3) - 0.12)  # side by side in a shared cell
        ys.append(s.influence + 0.12 * (n // 3))
        labels.append(html.escape(f"{s.name} ({s.type.label})", quote=False))
    trace = {
        "type": "scatter",
        "mode": "markers+text",
        "x": xs,
        "y": ys,
        "text": [label.split(" (")[0] for label in labels],
        "hovertext": labels,
        "hoverinfo": "text",
        "textposition": "top center",
        "marker": {"size": 12, "color": ["#B71C1C" if s.high_priority else "#1565C0" for s in placed]},
    }
    axis = {"range": [0.5, 5.5], "dtick": 1, "fixedrange": True, "zeroline": False}
    layout = {
        "dragmode": False,
        "height": 380,
        "margin": {"l": 60, "r": 20, "t": 10, "b": 50},
        "xaxis": {**axis, "title": {"text": _("Interest (or how affected)")}},
        "yaxis": {**axis, "title": {"text": _("Influence")}},
        "shapes": [
            {
                "type": "rect",
                "x0": HIGH - 0.5,
                "x1": 5.5,
                "y0": HIGH - 0.5,
                "y1": 5.5,
                "fillcolor": "#FFEBEE",
                "line": {"width": 0},
                "layer": "below",
            },
        ],  # fmt: skip
        "showlegend": False,
    }
    return {"data": [trace], "layout": layout, "config": {"displayModeBar": False, "responsive": True}}


def plan_choices(site_id: int, keep: int | None = None) -> list[tuple[int, str]]:
    """The site's active stakeholders to pick; `keep` (a record's own stakeholder) stays offered, marked,
    when it has been retired since."""
    choices = [(s.id, s.name) for s in stakeholders_of(site_id)]
    if keep is not None and keep not in dict(choices):
        kept = db.session.get(Stakeholder, keep)
        if kept is not None and kept.site_id == site_id:
            choices.append((kept.id, _("%(name)s (retired)", name=kept.name)))
    return choices
