"""The Register sheet (one row per risk; also the import format) and the Controls sheet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from riskreg.controls.models import ControlStatus, Effectiveness
from riskreg.exports import queries
from riskreg.exports.cells import (
    BandCells,
    Header,
    TableSheet,
    level_validation,
    list_validation,
    safe_text,
)
from riskreg.exports.columns import CORPORATE, REGISTER_COLUMNS, Column
from riskreg.exports.context import ExportContext, ValueLists
from riskreg.exports.labels import CONTROLS, LEGEND, N_, NO, REGISTER, YES, enum_label, sheet_name, words
from riskreg.i18n.reference import translate


def _validation(column: Column, lists: ValueLists) -> Any:
    legend = sheet_name(LEGEND)
    if column.kind == "level":
        return level_validation(legend)
    if column.kind in ("enum", "list"):
        return list_validation(lists.ref(column.header), column.label.lower(), legend=legend)
    if column.key in ("site", "owner"):
        # Not strict: an owner may be typed as an email address, and a new site's name is explained.
        return list_validation(lists.ref(column.header), column.label.lower(), strict=False, legend=legend)
    return None


TEXT_KEYS = ("title", "category", "owner", "requirements", "description", "cause", "consequence")


def register_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """One row per risk, the columns of columns.REGISTER_COLUMNS; also the import format."""
    headers = [Header(c.label, c.width, _validation(c, ctx.lists), c.wrap) for c in REGISTER_COLUMNS]
    sheet = TableSheet(wb, sheet_name(REGISTER), headers)
    ws = sheet.ws
    bands = ctx.band_table()
    inherent, residual = BandCells(ws, ctx.matrix), BandCells(ws, ctx.matrix)
    target = BandCells(ws, ctx.matrix)
    keys = [c.key for c in REGISTER_COLUMNS]
    labels = {  # the drop-downs' words, not the stored keys: once per member, not once per row
        column.key: {member: enum_label(member) for member in column.enum}
        for column in REGISTER_COLUMNS
        if column.enum is not None
    }
    categories: dict[str, str] = {}
    corporate = words(CORPORATE)

    for row in queries.register_rows(ctx.filters, ctx.today):
        is_people = ctx.matrix.is_people(row["direction"])
        row["inherent_band"] = inherent(bands[row["inherent_likelihood"], row["inherent_impact"], is_people])
        row["residual_band"] = residual(bands[row["residual_likelihood"], row["residual_impact"], is_people])
        lk, im = row["target_likelihood"], row["target_impact"]
        if lk is not None and im is not None:  # a target is optional
            row["target_score"] = lk * im
            row["target_band"] = target(bands[lk, im, is_people])
        else:
            row["target_score"] = row["target_band"] = None
        for key, by_member in labels.items():
            row[key] = by_member[row[key]]
        if row["category"] is not None:
            category = row["category"]
            if category not in categories:
                categories[category] = str(translate(category) or category)
            row["category"] = categories[category]
        row["site"] = safe_text(ws, row["site"] or corporate)
        for key in TEXT_KEYS:
            row[key] = safe_text(ws, row[key])  # TableSheet wraps the long ones
        sheet.append([row[key] for key in keys])
        ctx.row_written()
    ctx.counts["risks"] = sheet.finish()


CONTROL_HEADERS = (  # English msgids: written in the export's language
    Header(N_("Ref"), 10),
    Header(N_("Title"), 48, wrap=True),
    Header(N_("Risks"), 24),
    Header(N_("Department"), 24),
    Header(N_("Owner"), 22),
    Header(N_("Status"), 13),
    Header(N_("Due date"), 12),
    Header(N_("Overdue"), 9),
    Header(N_("Effectiveness"), 18),
    Header(N_("Closed on"), 12),
    Header(N_("Closing note"), 60, wrap=True),
)


def controls_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """One row per control, with the refs of the risks it mitigates; read-only (not imported)."""
    headers = [Header(words(h.text), h.width, h.validation, h.wrap) for h in CONTROL_HEADERS]
    legend = sheet_name(LEGEND)
    statuses = {s: enum_label(s) for s in ControlStatus}
    effectiveness = {e: enum_label(e) for e in Effectiveness}
    headers[5] = Header(
        headers[5].text,
        13,
        list_validation(_inline(statuses.values()), headers[5].text.lower(), legend=legend),
    )
    headers[8] = Header(
        headers[8].text,
        18,
        list_validation(_inline(effectiveness.values()), headers[8].text.lower(), legend=legend),
    )
    sheet = TableSheet(wb, sheet_name(CONTROLS), headers)
    ws = sheet.ws
    yes, no = words(YES), words(NO)
    for row in queries.control_rows(ctx.filters, ctx.today):
        closed = row["closed_at"]
        sheet.append(
            [
                row["ref"],
                safe_text(ws, row["title"]),
                row["risks"] or None,
                safe_text(ws, row["department"]),
                safe_text(ws, row["owner"]),
                statuses[row["status"]],
                row["due_date"],
                yes if row["overdue"] else no,
                effectiveness[row["effectiveness"]],
                closed.date() if closed is not None else None,
                safe_text(ws, row["closing_note"]),
            ]
        )
        ctx.row_written()
    ctx.counts["controls"] = sheet.finish()


def _inline(values: Iterable[str]) -> str:
    """An inline drop-down list (Excel allows 255 characters; labels here have no commas)."""
    return '"' + ",".join(values) + '"'
