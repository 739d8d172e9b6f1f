"""The Register sheet (one row per risk; also the import format) and the Controls sheet."""

from __future__ import annotations

from collections.abc import Sequence
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


def _validation(column: Column, lists: ValueLists) -> Any:
    if column.kind == "level":
        return level_validation()
    if column.kind in ("enum", "list"):
        return list_validation(lists.ref(column.header), column.header.lower())
    if column.key in ("site", "owner"):
        # Not strict: an owner may be typed as an email address, and a new site's name is explained.
        return list_validation(lists.ref(column.header), column.header.lower(), strict=False)
    return None


TEXT_KEYS = ("title", "category", "owner", "requirements", "description", "cause", "consequence")


def register_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """One row per risk, the columns of columns.REGISTER_COLUMNS; also the import format."""
    headers = [Header(c.header, c.width, _validation(c, ctx.lists), c.wrap) for c in REGISTER_COLUMNS]
    sheet = TableSheet(wb, "Register", headers)
    ws = sheet.ws
    bands = ctx.band_table()
    inherent, residual = BandCells(ws, ctx.matrix), BandCells(ws, ctx.matrix)
    target = BandCells(ws, ctx.matrix)
    keys = [c.key for c in REGISTER_COLUMNS]

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
        row["direction"] = row["direction"].label
        row["treatment"] = row["treatment"].label
        row["impact_area"] = row["impact_area"].label  # the drop-down's words, not the stored key
        row["status"] = row["status"].label
        row["site"] = safe_text(ws, row["site"] or CORPORATE)
        for key in TEXT_KEYS:
            row[key] = safe_text(ws, row[key])  # TableSheet wraps the long ones
        sheet.append([row[key] for key in keys])
        ctx.row_written()
    ctx.counts["risks"] = sheet.finish()


CONTROL_HEADERS = (
    Header("Ref", 10),
    Header("Title", 48, wrap=True),
    Header("Risks", 24),
    Header("Department", 24),
    Header("Owner", 22),
    Header("Status", 13),
    Header("Due date", 12),
    Header("Overdue", 9),
    Header("Effectiveness", 18),
    Header("Closed on", 12),
    Header("Closing note", 60, wrap=True),
)


def controls_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """One row per control, with the refs of the risks it mitigates; read-only (not imported)."""
    headers = list(CONTROL_HEADERS)
    headers[5] = Header("Status", 13, list_validation(_inline([s.label for s in ControlStatus]), "status"))
    headers[8] = Header(
        "Effectiveness", 18, list_validation(_inline([e.label for e in Effectiveness]), "effectiveness")
    )
    sheet = TableSheet(wb, "Controls", headers)
    ws = sheet.ws
    for row in queries.control_rows(ctx.filters, ctx.today):
        closed = row["closed_at"]
        sheet.append(
            [
                row["ref"],
                safe_text(ws, row["title"]),
                row["risks"] or None,
                safe_text(ws, row["department"]),
                safe_text(ws, row["owner"]),
                row["status"].label,
                row["due_date"],
                "Yes" if row["overdue"] else "No",
                row["effectiveness"].label,
                closed.date() if closed is not None else None,
                safe_text(ws, row["closing_note"]),
            ]
        )
        ctx.row_written()
    ctx.counts["controls"] = sheet.finish()


def _inline(values: Sequence[str]) -> str:
    """An inline drop-down list (Excel allows 255 characters; labels here have no commas)."""
    return '"' + ",".join(values) + '"'
