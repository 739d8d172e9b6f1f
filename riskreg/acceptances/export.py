"""The workbook's Acceptances sheet: every acceptance of the risks the export's filters select."""

from __future__ import annotations

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import aliased

from riskreg.acceptances.models import Acceptance
from riskreg.auth.models import User
from riskreg.exports.cells import Header, StyledColumn, TableSheet, safe_text
from riskreg.exports.context import ExportContext
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.risks import filters as risk_filters
from riskreg.risks.models import Risk
from riskreg.sites.models import Site

ACCEPTANCES = "Acceptances"  # the sheet's name in English; in the workbook, in the export's language


# Built when the sheet is written, in the export's language (plain strings in the cells).
def headers() -> list[Header]:
    return [
        Header(_("Ref"), 10),
        Header(_("Risk"), 36),
        Header(_("Site"), 22),
        Header(_("Acceptance"), 10),
        Header(_("State"), 11),
        Header(_("Residual score"), 9),
        Header(_("Residual band"), 10),
        Header(_("Expires on"), 11),
        Header(_("Justification"), 50, wrap=True),
        Header(_("Requested by"), 18),
        Header(_("Requested on"), 11),
        Header(_("Approver"), 18),
        Header(_("Decided by"), 18),
        Header(_("Decided on"), 11),
        Header(_("Decision note"), 40, wrap=True),
        Header(_("Ended because"), 40, wrap=True),
    ]


def acceptances_sheet(wb: Workbook, ctx: ExportContext) -> None:
    requester, approver, decider = aliased(User), aliased(User), aliased(User)
    stmt = (
        sa.select(
            Risk.ref,
            Risk.title,
            Site.name,
            Acceptance,
            requester.name,
            approver.name,
            decider.name,
        )
        .join(Risk, Risk.id == Acceptance.risk_id)
        .outerjoin(Site, Site.id == Risk.site_id)
        .outerjoin(requester, requester.id == Acceptance.requested_by_id)
        .join(approver, approver.id == Acceptance.approver_id)
        .outerjoin(decider, decider.id == Acceptance.decided_by_id)
        .where(*risk_filters.conditions(ctx.filters))
        .order_by(Risk.id, Acceptance.id)
    )
    sheet = TableSheet(wb, _("Acceptances"), headers(), "C2")
    corporate = _("Corporate")
    ws = sheet.ws
    when = StyledColumn(ws, number_format="yyyy-mm-dd")
    bands = {band.key: translate(band.label) for band in ctx.matrix.bands}
    for ref, title, site, acc, requested_by, approved_by, decided_by in db.session.execute(
        stmt.execution_options(yield_per=1000)
    ):
        sheet.append(
            [
                ref,
                safe_text(ws, title),
                safe_text(ws, site or corporate),
                acc.id,
                acc.state.value,
                acc.residual_score,
                bands.get(acc.residual_band, acc.residual_band),
                when(acc.expires_on),
                safe_text(ws, acc.justification),  # TableSheet wraps it (one template per column)
                safe_text(ws, requested_by),
                when(acc.requested_at.date()),
                safe_text(ws, approved_by),
                safe_text(ws, decided_by),
                when(acc.decided_at.date()) if acc.decided_at else None,
                safe_text(ws, acc.decision_note),
                safe_text(ws, acc.end_reason),
            ]
        )
    ctx.counts["acceptances"] = sheet.finish()
