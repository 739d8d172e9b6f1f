"""Read side: /indicators, an indicator's page, gaps, the panels of the site page, the risk page and
the dashboard. Each runs a fixed number of queries whatever the number of sites and risks."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.indicators import compute
from riskreg.indicators.models import (
    IndicatorDefinition,
    ReviewFlag,
    SiteIndicator,
    Status,
    Trigger,
    indicator_links,
)
from riskreg.indicators.services import linked_risks, load_facts
from riskreg.indicators.words import status_words, value_words
from riskreg.modeling import today
from riskreg.params import query_int

TREND_DAYS = 30
SIGNAL = (Status.AMBER, Status.RED)


@dataclass
class IndicatorRow:
    indicator: SiteIndicator
    previous: float | None = None  # the value TREND_DAYS ago
    linked: int = 0

    @property
    def trend(self) -> str:
        value, before = self.indicator.value, self.previous
        if value is None or before is None or value == before:
            return _("steady") if value is not None and before is not None else "—"
        worse = (value > before) == (self.indicator.definition.worse.value == "higher")
        if value > before:
            return _("rising (worse)") if worse else _("rising (better)")
        return _("falling (worse)") if worse else _("falling (better)")


@dataclass
class Gap:
    indicator: SiteIndicator
    template: str  # the template "Create from template" offers
    evidence: str


def site_indicators(site_id: int | None = None, statuses: tuple[Status, ...] = ()) -> list[SiteIndicator]:
    stmt = _site_indicators(site_id is not None, tuple(statuses))
    return list(db.session.scalars(stmt, {"site_id": site_id} if site_id is not None else {}))


@functools.cache  # each shape built once, the site a parameter (as _waiting_triggers)
def _site_indicators(by_site: bool, statuses: tuple[Status, ...]) -> sa.Select:
    from riskreg.sites.models import Site

    stmt = (
        sa.select(SiteIndicator)
        .join(Site, Site.id == SiteIndicator.site_id)
        .join(IndicatorDefinition, IndicatorDefinition.id == SiteIndicator.definition_id)
        .where(Site.active.is_(True))
        .order_by(Site.name, IndicatorDefinition.id)
        .options(
            selectinload(SiteIndicator.definition),
            selectinload(SiteIndicator.site),
            selectinload(SiteIndicator.owner),
        )
    )
    if by_site:
        stmt = stmt.where(SiteIndicator.site_id == sa.bindparam("site_id"))
    if statuses:
        stmt = stmt.where(SiteIndicator.status.in_(statuses))
    return stmt


def parse_list_args(args: MultiDict) -> tuple[int | None, Status | None]:
    raw = args.get("status", "").strip()
    if raw and raw not in {s.value for s in Status}:
        allowed = ", ".join(s.value for s in Status)
        raise BadRequest(
            _("Filter 'status' must be one of %(allowed)s; %(raw)s is not.", allowed=allowed, raw=repr(raw))
        )
    return query_int(args, "site"), Status(raw) if raw else None


def indicator_rows(site_id: int | None = None, status: Status | None = None) -> list[IndicatorRow]:
    """Every indicator (at one site, or of one status) with its trend and number of linked risks."""
    indicators = site_indicators(site_id, (status,) if status else ())
    if not indicators:
        return []
    on = today()
    definitions = list({i.definition.id: i.definition for i in indicators}.values())
    facts = load_facts(sorted({i.site_id for i in indicators}), definitions, on, extra_days=TREND_DAYS)
    links = linked_risks(indicators)
    rows = []
    for indicator in indicators:
        d = indicator.definition
        before = compute.value(
            d.kind, d.window_days, facts[indicator.site_id], on - timedelta(days=TREND_DAYS)
        )
        rows.append(IndicatorRow(indicator, before, len(links[indicator.id])))
    return rows


def get_indicator(indicator_id: int) -> SiteIndicator | None:
    return db.session.scalar(
        sa.select(SiteIndicator)
        .where(SiteIndicator.id == indicator_id)
        .options(
            selectinload(SiteIndicator.definition),
            selectinload(SiteIndicator.site),
            selectinload(SiteIndicator.owner),
        )
        .execution_options(populate_existing=True)
    )


def hand_linked(indicator: SiteIndicator) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(indicator_links.c.risk_id).where(indicator_links.c.site_indicator_id == indicator.id)
        )
    )


def triggers_of(indicator_ids: list[int], limit: int = 50) -> list[Trigger]:
    if not indicator_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Trigger)
            .where(Trigger.site_indicator_id.in_(indicator_ids))
            .order_by(Trigger.at.desc(), Trigger.id.desc())
            .limit(limit)
        )
    )


def gaps(site_id: int | None = None) -> list[Gap]:
    """Signals (amber or red) with no open risk at the site made from one of the indicator's
    templates and none linked to it by hand: three queries."""
    from riskreg.risks.models import Risk, RiskStatus

    signals = [i for i in site_indicators(site_id, SIGNAL) if i.definition.templates]
    if not signals:
        return []
    templates = sorted({t for i in signals for t in i.definition.templates})
    covered = set(
        db.session.execute(
            sa.select(Risk.site_id, Risk.template_code).where(
                Risk.site_id.in_({i.site_id for i in signals}),
                Risk.status == RiskStatus.OPEN,
                Risk.template_code.in_(templates),
            )
        ).all()
    )
    by_hand = set(
        db.session.scalars(
            sa.select(indicator_links.c.site_indicator_id)
            .join(Risk, Risk.id == indicator_links.c.risk_id)
            .where(
                indicator_links.c.site_indicator_id.in_([i.id for i in signals]),
                Risk.status == RiskStatus.OPEN,
            )
        )
    )
    result = []
    for indicator in signals:
        codes = indicator.definition.templates
        if indicator.id in by_hand or any((indicator.site_id, code) in covered for code in codes):
            continue
        result.append(Gap(indicator, codes[0], evidence_text(indicator)))
    return result


def evidence_text(indicator: SiteIndicator) -> str:
    """The signal in words, in the reader's language (the gap's row; a new risk's prefilled evidence)."""
    d = indicator.definition
    words = {
        "label": translate(d.label),
        "value": value_words(compute.fmt(indicator.value, d.unit)),
        "days": d.window_days,
        "site": indicator.site.name,
        "status": status_words(indicator.status).lower(),
        "amber": compute.fmt(indicator.amber, d.unit),
        "red": compute.fmt(indicator.red, d.unit),
    }
    if d.window_days:
        return _(
            "%(label)s: %(value)s over the last %(days)s days at %(site)s "
            "(%(status)s; amber at %(amber)s, red at %(red)s).",
            **words,
        )
    return _("%(label)s: %(value)s at %(site)s (%(status)s; amber at %(amber)s, red at %(red)s).", **words)


def gap_evidence(args: MultiDict, site_id: int | None) -> str | None:
    """The evidence for /risks/new?template=..&site=..&indicator=..: 400 for an unknown indicator."""
    indicator_id = query_int(args, "indicator")
    if indicator_id is None:
        return None
    indicator = get_indicator(indicator_id)
    if indicator is None or indicator.site_id != site_id:
        raise BadRequest(_("There is no indicator %(id)s at this site.", id=indicator_id))
    return evidence_text(indicator)


@dataclass
class WaitingTrigger:
    trigger: Trigger
    indicator: SiteIndicator
    waiting: int  # linked risks whose flag from this trigger is still open


def waiting_triggers(site_id: int | None = None, limit: int = 20) -> list[WaitingTrigger]:
    """Triggers with flags still open, newest first (two queries)."""
    stmt = _waiting_triggers(site_id is not None, limit)
    rows = db.session.execute(stmt, {"site_id": site_id} if site_id is not None else {})
    return [WaitingTrigger(trigger, trigger.indicator, count) for trigger, count in rows]


# The dashboard asks on every view: each shape built once (with the site as a parameter), since
# building a statement and its cache key anew costs about as much as running it.
@functools.cache
def _waiting_triggers(by_site: bool, limit: int) -> sa.Select:
    stmt = (
        sa.select(Trigger, sa.func.count(ReviewFlag.id))
        .join(ReviewFlag, ReviewFlag.trigger_id == Trigger.id)
        .where(ReviewFlag.review_id.is_(None))
        .group_by(Trigger.id)
        .order_by(Trigger.at.desc(), Trigger.id.desc())
        .limit(limit)
        .options(
            selectinload(Trigger.indicator).selectinload(SiteIndicator.site),
            selectinload(Trigger.indicator).selectinload(SiteIndicator.definition),
        )
    )
    if by_site:
        stmt = stmt.join(SiteIndicator, SiteIndicator.id == Trigger.site_indicator_id).where(
            SiteIndicator.site_id == sa.bindparam("site_id")
        )
    return stmt


@dataclass
class RiskFlags:
    open: list[tuple[Trigger, SiteIndicator]] = field(default_factory=list)
    other: list[ReviewFlag] = field(default_factory=list)  # raised by something else, with a reason

    @property
    def any_open(self) -> bool:
        return bool(self.open or self.other)


def risk_flags(risk_id: int) -> RiskFlags:
    """The risk's open flags: with their triggers, and those raised by something else (a failed
    verification) with their reason (its reviews: riskreg.reviews.queries). One query for both: a
    flag without a trigger has NULL trigger columns, so each kind keeps its own order."""
    rows = db.session.execute(_risk_flags(), {"risk_id": risk_id})
    flags = RiskFlags()
    seen: set[int] = set()  # two open flags from one trigger: the trigger is listed once
    for flag, trigger in rows:
        if trigger is None:
            flags.other.append(flag)
        elif trigger.id not in seen:
            seen.add(trigger.id)
            flags.open.append((trigger, trigger.indicator))
    return flags


@functools.cache
def _risk_flags() -> sa.Select:
    """Built once (a risk's page runs it): its cache key is not derived anew on each page."""
    return (
        sa.select(ReviewFlag, Trigger)
        .outerjoin(Trigger, Trigger.id == ReviewFlag.trigger_id)
        .where(ReviewFlag.risk_id == sa.bindparam("risk_id"), ReviewFlag.review_id.is_(None))
        .order_by(Trigger.at.desc(), Trigger.id.desc(), ReviewFlag.raised_at.desc(), ReviewFlag.id.desc())
        .options(
            selectinload(Trigger.indicator).selectinload(SiteIndicator.definition),
            selectinload(Trigger.indicator).selectinload(SiteIndicator.site),
        )
    )


def chart_days(on: date, months: int = 18) -> list[date]:
    """About two points a month over the last `months`, ending today."""
    step = 15
    count = months * 30 // step
    return [on - timedelta(days=step * n) for n in range(count, -1, -1)]


@dataclass
class DisclosureLine:
    indicator: SiteIndicator
    triggers: list[Trigger]  # in the year, newest first


def disclosure_lines(year: int) -> list[DisclosureLine]:
    """Indicators that are amber or red now or triggered during `year` (three queries)."""
    indicators = site_indicators()
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    rows = db.session.scalars(
        sa.select(Trigger)
        .where(
            Trigger.site_indicator_id.in_([i.id for i in indicators]),
            Trigger.at >= start,
            Trigger.at < end,
        )
        .order_by(Trigger.at.desc(), Trigger.id.desc())
    )
    by_indicator: dict[int, list[Trigger]] = {}
    for trigger in rows:
        by_indicator.setdefault(trigger.site_indicator_id, []).append(trigger)
    return [
        DisclosureLine(i, by_indicator.get(i.id, []))
        for i in indicators
        if i.status in SIGNAL or i.id in by_indicator
    ]
