"""The workbook's Indicators sheet: every indicator (at the filtered site, or every site) with its
value, status and thresholds, its latest trigger, and the linked risks still flagged by it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook

from riskreg.exports.cells import Header, StyledColumn, TableSheet, fill, safe_text
from riskreg.exports.context import ExportContext
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.indicators import queries
from riskreg.indicators.models import ReviewFlag, Trigger
from riskreg.indicators.services import linked_risks
from riskreg.indicators.words import reason_text, status_words

INDICATORS = "Indicators"  # the sheet's name in English; sheet_name() gives it in the reader's language


def sheet_name() -> str:
    return _("Indicators")


def headers() -> list[Header]:
    """The header row in the language of the export (plain text: never a lazy string in a cell)."""
    return [
        Header(_("Site"), 24),
        Header(_("Indicator"), 34),
        Header(_("Value"), 9),
        Header(_("Unit"), 12),
        Header(_("Status"), 9),
        Header(_("Amber at"), 9),
        Header(_("Red at"), 9),
        Header(_("Worse when"), 10),
        Header(_("Window (days)"), 9),
        Header(_("Owner"), 18),
        Header(_("Latest trigger"), 14),
        Header(_("Trigger reason"), 50, wrap=True),
        Header(_("Risks flagged (open)"), 22),
        Header(_("Linked risks"), 30),
    ]


STATUS_FILLS = {"green": "#C8E6C9", "amber": "#FFE082", "red": "#EF9A9A", "no_data": "#E0E0E0"}


def open_flag_refs(indicator_ids: list[int]) -> dict[int, list[str]]:
    from riskreg.risks.models import Risk

    if not indicator_ids:
        return {}
    rows = db.session.execute(
        sa.select(Trigger.site_indicator_id, Risk.ref)
        .join(ReviewFlag, ReviewFlag.trigger_id == Trigger.id)
        .join(Risk, Risk.id == ReviewFlag.risk_id)
        .where(Trigger.site_indicator_id.in_(indicator_ids), ReviewFlag.review_id.is_(None))
        .distinct()
        .order_by(Trigger.site_indicator_id, Risk.ref)
    )
    result: dict[int, list[str]] = {}
    for indicator_id, ref in rows:
        result.setdefault(indicator_id, []).append(ref)
    return result


def latest_triggers(indicator_ids: list[int]) -> dict[int, Trigger]:
    if not indicator_ids:
        return {}
    newest = (
        sa.select(sa.func.max(Trigger.id))
        .where(Trigger.site_indicator_id.in_(indicator_ids))
        .group_by(Trigger.site_indicator_id)
    )
    return {
        t.site_indicator_id: t for t in db.session.scalars(sa.select(Trigger).where(Trigger.id.in_(newest)))
    }


def indicators_sheet(wb: Workbook, ctx: ExportContext) -> None:
    site = None if ctx.filters.corporate else ctx.filters.site
    indicators = [] if ctx.filters.corporate else queries.site_indicators(site)
    ids = [i.id for i in indicators]
    flagged, latest, links = open_flag_refs(ids), latest_triggers(ids), linked_risks(indicators)
    sheet = TableSheet(wb, sheet_name(), headers(), "C2")
    ws = sheet.ws
    statuses = {key: StyledColumn(ws, fill=fill(colour)) for key, colour in STATUS_FILLS.items()}
    when = StyledColumn(ws, number_format="yyyy-mm-dd")
    for indicator in indicators:
        d, trigger = indicator.definition, latest.get(indicator.id)
        status = indicator.status.value
        row: list[Any] = [
            safe_text(ws, indicator.site.name),
            safe_text(ws, translate(d.label)),
            indicator.value,
            safe_text(ws, translate(d.unit)),
            statuses[status](status_words(indicator.status)),
            indicator.amber,
            indicator.red,
            _("higher") if d.worse.value == "higher" else _("lower"),
            d.window_days or None,
            safe_text(ws, indicator.owner.name if indicator.owner else None),
            when(trigger.at.date()) if trigger else None,
            safe_text(ws, reason_text(trigger.reason)) if trigger else None,
            ", ".join(flagged.get(indicator.id, [])) or None,
            ", ".join(r.ref for r in links[indicator.id]) or None,
        ]
        sheet.append(row)
    ctx.counts["indicators"] = sheet.finish()
