"""The workbook's Grievances sheet: every grievance (at the filtered site, or every site) with its
steps' dates, deadlines and linked risks and controls. Never the complainant: not for anyone."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from riskreg.exports.cells import Header, StyledColumn, TableSheet, safe_text
from riskreg.exports.context import ExportContext
from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.grievances.models import Grievance, grievance_controls, grievance_risks
from riskreg.i18n import N_, pgettext
from riskreg.i18n import gettext as _

GRIEVANCES = N_("Grievances")  # the sheet's name, in the language of whoever exports
HEADERS = [
    Header(N_("Ref"), 9),
    Header(N_("Site"), 22),
    Header(N_("Received"), 11),
    Header(N_("Channel"), 14),
    Header(N_("Stakeholder"), 26),
    Header(N_("Anonymous"), 10),
    Header(N_("Category"), 16),
    Header(N_("Severity"), 8),
    Header(N_("Human-rights impact"), 10),
    Header(N_("Description"), 50, wrap=True),
    Header(N_("Owner department"), 18),
    Header(N_("Status"), 16),
    Header(N_("Acknowledged"), 11),
    Header(N_("Investigation"), 11),
    Header(N_("Response proposed"), 11),
    Header(N_("Resolved / not"), 11),
    Header(N_("Appeal"), 11),
    Header(N_("Closed"), 11),
    Header(N_("Accepted"), 9),
    Header(N_("Past a deadline"), 30),
    Header(N_("Risks"), 20),
    Header(N_("Controls"), 20),
]
DATE = "yyyy-mm-dd"
# A header whose English word means something else elsewhere: its catalogue context.
CONTEXTS = {"Received": "date of receipt"}


def header_text(english: str) -> str:
    """A header in the current language (the export's), as a plain str for openpyxl."""
    context = CONTEXTS.get(english)
    return str(pgettext(context, english) if context else _(english))


def _refs(table: sa.Table, column: str, model: Any, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(table.c.grievance_id, model.ref)
        .join(model, model.id == table.c[column])
        .where(table.c.grievance_id.in_(ids))
        .order_by(table.c.grievance_id, model.ref)
    )
    result: dict[int, list[str]] = {}
    for grievance_id, ref in rows:
        result.setdefault(grievance_id, []).append(ref)
    return result


def grievances_sheet(wb: Workbook, ctx: ExportContext) -> None:
    from riskreg.controls.models import Control
    from riskreg.risks.models import Risk

    where = []
    if ctx.filters.corporate:
        where.append(sa.false())
    elif ctx.filters.site:
        where.append(Grievance.site_id == ctx.filters.site)
    grievances = list(
        db.session.scalars(
            sa.select(Grievance)
            .where(*where)
            .order_by(Grievance.received_on, Grievance.id)
            .options(
                selectinload(Grievance.site),
                selectinload(Grievance.stakeholder),
                selectinload(Grievance.owner_department),
            )
        )
    )
    ids = [g.id for g in grievances]
    risks = _refs(grievance_risks, "risk_id", Risk, ids)
    controls = _refs(grievance_controls, "control_id", Control, ids)
    limits = services.deadlines()
    headers = [Header(header_text(h.text), h.width, h.validation, h.wrap) for h in HEADERS]
    sheet = TableSheet(wb, _(GRIEVANCES), headers, "B2")
    ws = sheet.ws
    day = StyledColumn(ws, number_format=DATE)

    def when(value: Any) -> Any:
        return day(value) if value else None

    yes, no = _("yes"), _("no")
    for g in grievances:
        accepted = None if g.accepted is None else (yes if g.accepted else no)
        sheet.append(
            [
                g.ref,
                safe_text(ws, g.site.name),
                when(g.received_on),
                g.channel.label,
                safe_text(ws, g.stakeholder.name if g.stakeholder else None),
                yes if g.anonymous else no,
                g.category.label,
                g.severity,
                yes if g.human_rights_impact else no,
                safe_text(ws, g.description),
                safe_text(ws, g.owner_department.name if g.owner_department else None),
                g.status.label,
                when(g.acknowledged_on),
                when(g.investigation_on),
                when(g.response_on),
                when(g.resolved_on),
                when(g.appeal_on),
                when(g.closed_on),
                accepted,
                "; ".join(services.overdue_reasons(g, limits, ctx.today)) or None if g.open else None,
                ", ".join(risks.get(g.id, [])) or None,
                ", ".join(controls.get(g.id, [])) or None,
            ]
        )
    ctx.counts["grievances"] = sheet.finish()
