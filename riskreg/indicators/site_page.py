"""What the site page shows of indicators: charts with threshold bands, gaps, triggers waiting, and
the timeline (observations, engagements and triggers) filtered by kind, flag and dates on the server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.indicators import charts, compute, queries, words
from riskreg.indicators.models import Trigger
from riskreg.indicators.services import load_facts
from riskreg.modeling import today

KINDS = ("observation", "engagement", "trigger")
FLAGS = {
    "mercury": _l("Mercury use"),
    "cyanide": _l("Cyanide use"),
    "children": _l("Children seen"),
    "incident": _l("Security incident"),
    "grievance": _l("Grievances raised"),
}
KIND_WORDS = {"observation": _l("Observations"), "engagement": _l("Engagements"), "trigger": _l("Triggers")}
CHART_MONTHS = 18
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class TimelineFilter:
    kind: str | None = None
    flag: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return any((self.kind, self.flag, self.since, self.until))


def _date(args: MultiDict, name: str) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            _("Filter '%(name)s' must be a date as YYYY-MM-DD, not %(raw)s.", name=name, raw=repr(raw[:20]))
        ) from None


def _choice(args: MultiDict, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = args.get(name, "").strip()
    if raw and raw not in allowed:
        raise BadRequest(
            _(
                "Filter '%(name)s' must be one of %(allowed)s; %(raw)s is not.",
                name=name,
                allowed=", ".join(allowed),
                raw=repr(raw[:40]),
            )
        )
    return raw or None


def parse_timeline_filter(args: MultiDict) -> TimelineFilter:
    result = TimelineFilter(
        _choice(args, "kind", KINDS),
        _choice(args, "flag", tuple(FLAGS)),
        _date(args, "from"),
        _date(args, "to"),
    )
    if result.since and result.until and result.since > result.until:
        raise BadRequest(_("Filter 'from' must not be after 'to'."))
    return result


def _observation_flag(flag: str) -> Any:
    from riskreg.sites.models import AsmObservation, ChemicalUse

    return {
        "mercury": AsmObservation.mercury_use != ChemicalUse.NOT_OBSERVED,
        "cyanide": AsmObservation.cyanide_use != ChemicalUse.NOT_OBSERVED,
        "children": AsmObservation.children_seen.is_(True),
        "incident": AsmObservation.security_incident.is_(True),
    }.get(flag)


def filtered_timeline(site: Any, f: TimelineFilter, limit: int) -> list[Any]:
    """Observations and engagements matching the filter, newest first (two queries at most)."""
    from riskreg.sites.models import AsmObservation, Engagement
    from riskreg.sites.queries import TimelineEntry

    entries: list[TimelineEntry] = []
    wants = set(KINDS) if f.kind is None else {f.kind}
    if "observation" in wants and f.flag != "grievance":
        stmt = sa.select(AsmObservation).where(AsmObservation.site_id == site.id)
        if f.flag:
            stmt = stmt.where(_observation_flag(f.flag))
        if f.since:
            stmt = stmt.where(AsmObservation.observed_on >= f.since)
        if f.until:
            stmt = stmt.where(AsmObservation.observed_on <= f.until)
        stmt = stmt.order_by(AsmObservation.observed_on.desc(), AsmObservation.id.desc()).limit(limit)
        entries += [TimelineEntry(o.observed_on, "observation", o) for o in db.session.scalars(stmt)]
    if "engagement" in wants and f.flag in (None, "grievance"):
        stmt = sa.select(Engagement).where(Engagement.site_id == site.id)
        if f.flag == "grievance":
            stmt = stmt.where(Engagement.grievances != "")
        if f.since:
            stmt = stmt.where(Engagement.held_on >= f.since)
        if f.until:
            stmt = stmt.where(Engagement.held_on <= f.until)
        stmt = stmt.order_by(Engagement.held_on.desc(), Engagement.id.desc()).limit(limit)
        stmt = stmt.options(selectinload(Engagement.follow_up_controls))
        entries += [TimelineEntry(e.held_on, "engagement", e) for e in db.session.scalars(stmt)]
    return entries


def trigger_entries(indicator_ids: list[int], f: TimelineFilter, limit: int) -> list[Any]:
    from riskreg.sites.queries import TimelineEntry

    if f.flag or f.kind not in (None, "trigger") or not indicator_ids:
        return []
    stmt = sa.select(Trigger).where(Trigger.site_indicator_id.in_(indicator_ids))
    if f.since:
        stmt = stmt.where(Trigger.at >= f.since)
    if f.until:
        stmt = stmt.where(sa.func.date(Trigger.at) <= f.until)
    stmt = stmt.order_by(Trigger.at.desc(), Trigger.id.desc()).limit(limit)
    return [TimelineEntry(t.at.date(), "trigger", t) for t in db.session.scalars(stmt)]


def context(site: Any, args: MultiDict, entries: list[Any]) -> dict[str, Any]:
    """Template variables for the site page: `entries` is the unfiltered timeline the page has."""
    f = parse_timeline_filter(args)
    limit = int(current_app.config["SITE_TIMELINE_LIMIT"])
    indicators = queries.site_indicators(site.id)
    on = today()
    days = queries.chart_days(on, CHART_MONTHS)
    facts = load_facts([site.id], [i.definition for i in indicators], on, extra_days=CHART_MONTHS * 31)
    figures = []
    for indicator in indicators:
        d = indicator.definition
        values = compute.series(d.kind, d.window_days, facts[site.id], days)
        figure = charts.figure(
            translate(d.label), translate(d.unit), days, values, indicator.amber, indicator.red, d.worse.value
        )
        figures.append((indicator, figure))
    names = {i.id: i for i in indicators}
    timeline = filtered_timeline(site, f, limit) if f.active else list(entries)
    timeline += trigger_entries(list(names), f, limit)
    timeline.sort(key=lambda e: (e.on, e.kind == "trigger", e.kind == "engagement", e.item.id), reverse=True)
    return {
        "timeline": timeline[:limit],
        "timeline_filter": f,
        "timeline_flags": FLAGS,
        "timeline_kinds": KINDS,
        "indicator_figures": figures,
        "indicators_by_id": names,
        "indicator_gaps": queries.gaps(site.id),
        "waiting_triggers": queries.waiting_triggers(site.id),
        "indicator_thresholds": words.threshold_words,
        "timeline_kind_words": KIND_WORDS,
    }
