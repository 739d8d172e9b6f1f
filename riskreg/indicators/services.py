"""Indicators at work: recompute values and statuses, raise triggers that flag the linked risks
(thresholds and links by hand: tuning.py). Services flush and never commit; mails go after the commit.

The recompute runs a fixed number of statements whatever the number of risks (and, for the
flags, whatever the number of linked risks: one multi-row insert of flags and one of audit rows).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from riskreg import audit
from riskreg.extensions import db
from riskreg.indicators import compute
from riskreg.indicators.models import (
    IndicatorDefinition,
    ReviewFlag,
    SiteIndicator,
    Status,
    Trigger,
    indicator_links,
)
from riskreg.modeling import today, utcnow

logger = logging.getLogger(__name__)


class IndicatorError(ValueError):
    """Bad input for an indicator; `field` names the form field to show it against."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LinkedRisk:
    id: int
    site_id: int
    category: str
    owner_id: int
    ref: str
    title: str


# ---------------------------------------------------------------------------------------------
# recompute


def recompute_sites(
    site_ids: Iterable[int], actor: Any, *, on: date | None = None, notify: bool = True
) -> list[Trigger]:
    """Recompute every indicator of these sites; a move to amber or red is a trigger that flags the
    linked risks, and (with `notify`) their owners and the indicator's owner are mailed after the
    commit. `on` computes as of that day (the demo's history); flushes only."""
    ids = sorted({int(site_id) for site_id in site_ids})
    definitions = list(db.session.scalars(sa.select(IndicatorDefinition).order_by(IndicatorDefinition.id)))
    if not ids or not definitions:
        return []
    on = on or today()
    at = utcnow() if on == today() else datetime.combine(on, time(12))
    indicators = ensure_indicators(ids, definitions)
    facts = load_facts(ids, definitions, on)
    triggers: list[Trigger] = []
    updates = []
    for indicator in indicators:
        definition = indicator.definition
        new_value = compute.value(definition.kind, definition.window_days, facts[indicator.site_id], on)
        new_status = Status(compute.status(new_value, indicator.amber, indicator.red, definition.worse.value))
        old_value, old_status = indicator.value, indicator.status
        if new_value == old_value and new_status is old_status and indicator.computed_at is not None:
            continue
        updates.append({"id": indicator.id, "value": new_value, "status": new_status, "computed_at": at})
        if compute.is_trigger(old_status.value, new_status.value):
            triggers.append(
                Trigger(
                    site_indicator_id=indicator.id,
                    at=at,
                    old_value=old_value,
                    new_value=new_value,
                    old_status=old_status,
                    new_status=new_status,
                    reason=trigger_reason(indicator, old_value, new_value, new_status),
                    actor_id=getattr(actor, "id", None),
                )
            )
    if updates:
        db.session.execute(sa.update(SiteIndicator), updates)
        by_id = {i.id: i for i in indicators}
        for row in updates:  # keep the loaded objects in step with the bulk update, without a reload
            for name in ("value", "status", "computed_at"):
                set_committed_value(by_id[row["id"]], name, row[name])
    if triggers:
        raise_flags(triggers, {i.id: i for i in indicators}, actor, at, notify)
    return triggers


def trigger_reason(indicator: SiteIndicator, old: float | None, new: float | None, state: Status) -> str:
    d = indicator.definition
    return compute.reason(
        d.label, d.unit, d.window_days, old, new, state.value, indicator.amber, indicator.red, d.worse.value
    )


def ensure_indicators(site_ids: list[int], definitions: list[IndicatorDefinition]) -> list[SiteIndicator]:
    """Every library indicator at every one of these sites (missing ones get the defaults).

    The rows are locked (PostgreSQL) so two recomputes of one site take turns."""
    from riskreg.sites.models import Site

    by_id = {d.id: d for d in definitions}
    stmt = (
        sa.select(SiteIndicator)
        .where(SiteIndicator.site_id.in_(site_ids))
        .order_by(SiteIndicator.site_id, SiteIndicator.definition_id)
    )
    found = list(db.session.scalars(stmt.with_for_update(of=SiteIndicator)))
    for indicator in found:  # the definitions are loaded already: no second query
        set_committed_value(indicator, "definition", by_id[indicator.definition_id])
    if len(found) == len(site_ids) * len(definitions):
        return found
    have = {(i.site_id, i.definition_id) for i in found}
    active = set(db.session.scalars(sa.select(Site.id).where(Site.id.in_(site_ids), Site.active.is_(True))))
    missing = [
        SiteIndicator(site_id=site_id, definition_id=d.id, amber=d.default_amber, red=d.default_red)
        for site_id in site_ids
        if site_id in active
        for d in definitions
        if (site_id, d.id) not in have
    ]
    if missing:
        db.session.add_all(missing)
        db.session.flush()
        for indicator in missing:
            set_committed_value(indicator, "definition", by_id[indicator.definition_id])
        found += missing
    return found


def load_facts(
    site_ids: list[int], definitions: list[IndicatorDefinition], on: date, extra_days: int = 0
) -> dict[int, compute.Facts]:
    """Observations and engagements of these sites over the longest window, and `extra_days` more
    for values in the past (three queries)."""
    from riskreg.sites.models import AsmObservation, Engagement

    span = max((d.window_days * (2 if d.kind == "miners_change_pct" else 1) for d in definitions), default=0)
    since = on - timedelta(days=span + extra_days)
    o = AsmObservation
    observations: dict[int, list[compute.Obs]] = {site_id: [] for site_id in site_ids}
    for row in db.session.execute(
        sa.select(
            o.site_id, o.observed_on, o.location, o.distance_km, o.miners_estimate,
            o.mercury_use, o.cyanide_use, o.children_seen, o.security_incident,
        ).where(o.site_id.in_(site_ids), o.observed_on > since, o.observed_on <= on).order_by(o.id)
    ):  # fmt: skip
        observations[row[0]].append(
            compute.Obs(row[1], row[2].value, row[3], row[4], row[5].value, row[6].value, row[7], row[8])
        )
    engagements: dict[int, list[compute.Eng]] = {site_id: [] for site_id in site_ids}
    for site_id, held_on, grievances in db.session.execute(
        sa.select(Engagement.site_id, Engagement.held_on, Engagement.grievances != "").where(
            Engagement.site_id.in_(site_ids), Engagement.held_on > since, Engagement.held_on <= on
        )
    ):
        engagements[site_id].append(compute.Eng(held_on, bool(grievances)))
    last = dict(
        db.session.execute(
            sa.select(o.site_id, sa.func.max(o.observed_on))
            .where(o.site_id.in_(site_ids), o.observed_on <= on)
            .group_by(o.site_id)
        ).all()
    )
    km = float(current_app.config["ASM_ADJACENT_KM"])
    return {
        site_id: compute.Facts(observations[site_id], engagements[site_id], last.get(site_id), km)
        for site_id in site_ids
    }


# ---------------------------------------------------------------------------------------------
# links and flags


def linked_risks(indicators: list[SiteIndicator]) -> dict[int, list[LinkedRisk]]:
    """Open risks each indicator informs: its site's risks in its categories, plus those linked by hand.

    Two queries whatever the number of indicators and risks."""
    from riskreg.risks.models import Risk, RiskStatus

    if not indicators:
        return {}
    ids = [i.id for i in indicators]
    manual: dict[int, set[int]] = {}
    for indicator_id, risk_id in db.session.execute(
        sa.select(indicator_links.c.site_indicator_id, indicator_links.c.risk_id).where(
            indicator_links.c.site_indicator_id.in_(ids)
        )
    ):
        manual.setdefault(indicator_id, set()).add(risk_id)
    categories = sorted({c for i in indicators for c in i.definition.categories})
    hand_linked = sorted({r for risks in manual.values() for r in risks})
    rows = db.session.execute(
        sa.select(Risk.id, Risk.site_id, Risk.category, Risk.owner_id, Risk.ref, Risk.title)
        .where(
            Risk.site_id.in_({i.site_id for i in indicators}),
            Risk.status == RiskStatus.OPEN,
            sa.or_(Risk.category.in_(categories), Risk.id.in_(hand_linked)),
        )
        .order_by(Risk.id)
    )
    risks = [LinkedRisk(*row) for row in rows]
    result: dict[int, list[LinkedRisk]] = {}
    for indicator in indicators:
        wanted = set(indicator.definition.categories)
        hand = manual.get(indicator.id, set())
        result[indicator.id] = [
            r for r in risks if r.site_id == indicator.site_id and (r.category in wanted or r.id in hand)
        ]
    return result


def raise_flags(
    triggers: list[Trigger], indicators: dict[int, SiteIndicator], actor: Any, at: datetime, notify: bool
) -> None:
    """Store the triggers and flag every linked risk: one multi-row insert of flags whatever their
    number. Each trigger's audit event names the risks it flagged; each flag row is itself the
    record of who (the trigger's actor), when and why (the trigger's reason)."""
    db.session.add_all(triggers)
    db.session.flush()
    links = linked_risks([indicators[t.site_indicator_id] for t in triggers])
    flags = []
    for trigger in triggers:
        indicator = indicators[trigger.site_indicator_id]
        risks = links[indicator.id]
        changes = {
            "status": [trigger.old_status.value, trigger.new_status.value],
            "value": [trigger.old_value, trigger.new_value],
            "flagged_risks": [None, [risk.ref for risk in risks]],
        }
        audit.record("site_indicator", indicator.id, "trigger", actor, changes, trigger.reason).at = at
        flags += [{"risk_id": risk.id, "trigger_id": trigger.id, "raised_at": at} for risk in risks]
    insert_flags(flags)
    logger.info("%d trigger(s), %d review flag(s)", len(triggers), len(flags))
    if notify:
        from riskreg.indicators.mail import queue_trigger_mails

        queue_trigger_mails(triggers, indicators, links)


def insert_flags(flags: list[dict[str, Any]]) -> None:
    """Many flags in one statement. On PostgreSQL three arrays unnested server-side: 1,400 flags as
    single-row executemany cost 80 ms there, as one multi-row VALUES 60 ms plus its compilation
    (bench/indicators_bench.py). SQLite's executemany is a loop in C, already at its floor."""
    if not flags:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(sa.insert(ReviewFlag), flags)
        return
    columns = ("risk_id", "trigger_id", "raised_at")
    arrays = {name: [flag[name] for flag in flags] for name in columns}
    db.session.execute(
        sa.text(
            "INSERT INTO review_flags (risk_id, trigger_id, raised_at) "
            "SELECT * FROM unnest(CAST(:risk_id AS integer[]), CAST(:trigger_id AS integer[]), "
            "CAST(:raised_at AS timestamp[]))"
        ),
        arrays,
    )


def refresh_all(actor: Any = None) -> list[Trigger]:
    """`flask indicators refresh`: time moves windows on even when nobody records anything."""
    from riskreg.sites.models import Site

    return recompute_sites(db.session.scalars(sa.select(Site.id).where(Site.active.is_(True))), actor)
