"""The ASM sheets: Coverage (the /standards matrix, one row per requirement and site) and ASM
disclosure (the /reports/asm-disclosure report for one year).

Neither follows the register filters: like their pages, they are about the whole company.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from riskreg.exports.cells import (
    HEADER_FONT,
    TITLE_FONT,
    Header,
    StyledColumn,
    TableSheet,
    bold_cell,
    fill,
    safe_text,
    styled_cell,
)
from riskreg.exports.context import ExportContext
from riskreg.exports.labels import COVERAGE, DISCLOSURE, N_, plain, sheet_name, words
from riskreg.i18n import gettext as _
from riskreg.reports import disclosure
from riskreg.standards import coverage

DATE = "yyyy-mm-dd"
COVERAGE_WIDTHS = (11, 20, 14, 16, 44, 22, 13, 14, 10, 9, 12, 13, 40)
TEXT_COLUMNS = (0, 1, 2, 3, 5)  # framework, code, identifier, edition, site
WRAPPED_COLUMNS = (4, 12)  # the requirement's title, the evidence
BASIS_COLUMN = 5  # of the disclosure: how each site's figures were arrived at
TITLE = N_("ASM disclosure %(year)s · GRI G4 MM8 · GRI 14: Mining Sector 2024, topic 14.13")
GRIEVANCES_TITLE = N_("Grievances related to ASM received in %(year)s, per site")


def coverage_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """Each requirement of the company's frameworks against each site and the Group: the state in
    the /standards page's colours, the counts behind it, and the controls that give the evidence."""
    headers, rows = coverage.coverage_sheet_rows(ctx.frameworks)
    sheet = TableSheet(
        wb,
        sheet_name(COVERAGE),
        [
            Header(words(str(text)), width, wrap=index in WRAPPED_COLUMNS)
            for index, (text, width) in enumerate(zip(headers, COVERAGE_WIDTHS, strict=True))
        ],
        "C2",
    )
    ws = sheet.ws
    # A state's cell by its label, as the rows give it: English or in the export's language.
    states: dict[str, StyledColumn] = {}
    for state, label in coverage.STATE_LABELS.items():
        column = StyledColumn(ws, fill=fill(coverage.STATE_COLOURS[state]))
        for text in (str(label), words(str(label))):
            states.setdefault(text, column)
    last_engagement = StyledColumn(ws, number_format=DATE)
    for row in rows:
        cells: list[Any] = list(row)  # the counts stay numbers
        for index in (*TEXT_COLUMNS, *WRAPPED_COLUMNS):  # TableSheet wraps the long ones
            cells[index] = safe_text(ws, row[index])
        state = plain(row[6])
        cells[6] = states[state](state) if state in states else safe_text(ws, state)
        cells[11] = last_engagement(row[11])
        sheet.append(cells)
    ctx.counts["coverage"] = sheet.finish()


def grievances_block(ws: Any, report: disclosure.DisclosureSheet) -> None:
    """The ASM-related grievances per site for the year, as the report page shows them."""
    ws.append([styled_cell(ws, _(GRIEVANCES_TITLE, year=report.year), font=TITLE_FONT)])
    if not report.grievances:
        ws.append(
            [safe_text(ws, _("No grievance related to ASM was received in %(year)s.", year=report.year))]
        )
        return
    ws.append([bold_cell(ws, words(str(text))) for text in disclosure.GRIEVANCE_HEADERS])
    for row in report.grievances:
        ws.append([safe_text(ws, value) if isinstance(value, str) else plain(value) for value in row])


def disclosure_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """The disclosure for ctx.year: a row per site (filterable), the total and the group in bold
    below the filter, then the headline figures (the percentage a real percentage) and the notes."""
    report = disclosure.disclosure_sheet_rows(ctx.year)
    widths = [28, 14, 13, 11, 14, 34, 13, 11] + [11] * (len(report.headers) - 8)
    headers = [
        Header(words(str(t)), w, wrap=index == BASIS_COLUMN)
        for index, (t, w) in enumerate(zip(report.headers, widths, strict=True))
    ]
    sheet = TableSheet(wb, sheet_name(DISCLOSURE), headers)
    ws = sheet.ws

    def cells(row: list[Any], **style: Any) -> list[Any]:
        values = [None if value == "" else plain(value) for value in row]
        if style:
            return [styled_cell(ws, value, **style) for value in values]
        return [safe_text(ws, value) if isinstance(value, str) else value for value in values]

    for row in report.sites:
        sheet.append(cells(row))
    # The filter covers the sites only: sorting them never moves the total.
    ctx.counts["disclosure"] = sheet.finish()
    ws.append(cells(report.total, font=HEADER_FONT))
    ws.append(cells(report.corporate))
    ws.append([])
    ws.append([styled_cell(ws, _(TITLE, year=report.year), font=TITLE_FONT)])
    for label, value, number_format in report.figures:
        ws.append([bold_cell(ws, words(str(label))), styled_cell(ws, value, number_format=number_format)])
    ws.append([])
    grievances_block(ws, report)
    ws.append([])
    for note in report.notes:
        ws.append([safe_text(ws, plain(note))])
