"""The summary sheets: Heatmap (both grids), Sites (ASM presence, risks per band) and Legend."""

from __future__ import annotations

from collections import Counter
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from riskreg.exports import queries
from riskreg.exports.cells import (
    TITLE_FONT,
    WRAP,
    Header,
    StyledColumn,
    TableSheet,
    fill,
    safe_text,
)
from riskreg.exports.cells import bold_cell as _bold
from riskreg.exports.cells import styled_cell as _cell
from riskreg.exports.columns import CORPORATE
from riskreg.exports.context import LIST_FIRST_COLUMN, ExportContext
from riskreg.exports.filters_text import describe_filters

CENTRE = Alignment(horizontal="center", vertical="center")


def heatmap_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """Inherent and residual grids: likelihood down (highest first), impact across, counts in cells."""
    ws = wb.create_sheet("Heatmap")
    ws.column_dimensions["A"].width = 24
    for index in range(2, 8):
        ws.column_dimensions[get_column_letter(index)].width = 16
    matrix = ctx.matrix
    ws.append([_cell(ws, "Risks per cell of the matrix", font=TITLE_FONT)])
    ws.append(["Each cell holds the number of exported risks; its colour is the band of that cell."])
    people = ", ".join(sorted(matrix.people_directions))
    ws.append(
        [
            f"For risks to people ({people}) an impact of {matrix.people_floor_impact} is at least "
            f"{matrix.band_by_key(matrix.people_floor_band).label}: the band totals below count them so."
        ]
    )
    totals: dict[str, Counter[str]] = {}
    for basis in ("inherent", "residual"):
        rows = queries.cell_counts(ctx.filters, basis)
        counts: Counter[tuple[int, int]] = Counter()
        for lk, im, _direction, n in rows:
            counts[lk, im] += n
        ws.append([])
        ws.append([_cell(ws, f"{basis.capitalize()} risk", font=TITLE_FONT)])
        ws.append(
            [_bold(ws, "Likelihood ↓ · Impact →")]
            + [_bold(ws, f"{level.value} · {level.label}") for level in matrix.impact]
        )
        for likelihood in reversed(matrix.likelihood):
            row: list[Any] = [_bold(ws, f"{likelihood.value} · {likelihood.label}")]
            for impact in matrix.impact:
                band = matrix.band_for(likelihood.value, impact.value, people=False)
                n = counts[likelihood.value, impact.value]
                row.append(_cell(ws, n, fill=fill(band.fill), alignment=CENTRE))
            ws.append(row)
        totals[basis] = matrix.tally(rows)
    ws.append([])
    ws.append([_bold(ws, "Band"), _bold(ws, "Inherent"), _bold(ws, "Residual")])
    for band in matrix.bands:
        ws.append(
            [
                _cell(ws, band.label, fill=fill(band.fill)),
                totals["inherent"][band.key],
                totals["residual"][band.key],
            ]
        )


def sites_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """Each site with its ASM presence and approach, and the exported risks per residual band."""
    bands = ctx.matrix.bands
    headers = [
        Header("Site", 28),
        Header("Country", 16),
        Header("Region", 18),
        Header("Lifecycle", 14),
        Header("ASM presence", 14),
        Header("ASM approach", 22),
        Header("Active", 8),
        *(Header(f"Residual {band.label.lower()}", 11) for band in bands),
        Header("Risks", 9),
    ]
    sheet = TableSheet(wb, "Sites", headers)
    ws = sheet.ws
    by_site = queries.band_counts_by_site(ctx.filters, ctx.matrix)
    columns = [StyledColumn(ws, fill=fill(band.fill), alignment=CENTRE) for band in bands]

    def counts(site_id: int | None) -> list[Any]:
        found = by_site.get(site_id, Counter())
        return [column(found[band.key]) for column, band in zip(columns, bands, strict=True)] + [
            sum(found.values())
        ]

    for site in ctx.sites:
        sheet.append(
            [
                safe_text(ws, site.name),
                safe_text(ws, site.country),
                safe_text(ws, site.region),
                site.lifecycle.label,
                site.asm_presence.label,
                site.asm_approach.label,
                "Yes" if site.active else "No",
                *counts(site.id),
            ]
        )
    sheet.append([f"{CORPORATE} (no single site)", None, None, None, None, None, None, *counts(None)])
    ctx.counts["sites"] = sheet.finish()


def legend_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """The matrix, who made the file and when, the filters; the allowed values on the right."""
    ws = wb.create_sheet("Legend")
    widths = [22, 20, 34, 40, 30, 30, 30, 30, 30]
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for index in range(len(ctx.lists.lists)):
        ws.column_dimensions[get_column_letter(LIST_FIRST_COLUMN + index)].width = 28
    left = _legend_rows(ws, ctx)
    lists = [[_bold(ws, name) for name in ctx.lists.lists]]
    values = list(ctx.lists.lists.values())
    for index in range(max(len(v) for v in values)):
        lists.append([safe_text(ws, v[index]) if index < len(v) else None for v in values])
    for index in range(max(len(left), len(lists))):
        row = left[index] if index < len(left) else []
        row = row + [None] * (LIST_FIRST_COLUMN - 1 - len(row))
        ws.append(row + (lists[index] if index < len(lists) else []))


def _coverage_scope(ctx: ExportContext) -> str:
    frameworks = ", ".join(ctx.frameworks) or "none"
    return f"The company's frameworks ({frameworks}), as on /standards. All risks and controls."


def _legend_rows(ws: WriteOnlyWorksheet, ctx: ExportContext) -> list[list[Any]]:
    matrix = ctx.matrix
    generated = _cell(ws, ctx.generated_at, number_format="yyyy-mm-dd hh:mm")
    rows: list[list[Any]] = [
        [_cell(ws, "riskreg · ASM risk register", font=TITLE_FONT)],
        [_bold(ws, "Exported (UTC)"), generated],
        [_bold(ws, "Exported by"), safe_text(ws, ctx.generated_by)],
        [_bold(ws, "Filters"), _cell(ws, describe_filters(ctx), alignment=WRAP)],
        [_bold(ws, "Risks"), ctx.counts.get("risks", 0)],
        [_bold(ws, "Controls"), ctx.counts.get("controls", 0)],
        [_bold(ws, "Matrix"), f"{matrix.preset} preset"],
        # The two ASM sheets come after this one and ignore the filters: say what they hold here.
        [_bold(ws, "Coverage"), _cell(ws, _coverage_scope(ctx), alignment=WRAP)],
        [
            _bold(ws, "ASM disclosure"),
            _cell(ws, f"{ctx.year}, as /reports/asm-disclosure?year={ctx.year}. All sites.", alignment=WRAP),
        ],
        [],
        [
            _bold(ws, "Band"),
            _bold(ws, "Colour"),
            _bold(ws, "Tolerability"),
            _bold(ws, "Response"),
            _bold(ws, "Review every (days)"),
        ],
    ]
    for band in matrix.bands:
        rows.append(
            [
                _cell(ws, band.label, fill=fill(band.fill)),
                _cell(ws, band.colour, fill=fill(band.colour)),
                _cell(ws, band.tolerability, alignment=WRAP),
                _cell(ws, band.response, alignment=WRAP),
                band.review_days,
            ]
        )
    floor = matrix.band_by_key(matrix.people_floor_band).label
    rows += [
        [
            f"Risks to people ({', '.join(sorted(matrix.people_directions))}): an impact of "
            f"{matrix.people_floor_impact} is at least {floor}."
        ],
        [],
        [_bold(ws, "Likelihood"), _bold(ws, "Label"), _bold(ws, "Definition"), _bold(ws, "Frequency")],
    ]
    for level in matrix.likelihood:
        rows.append(
            [
                level.value,
                level.label,
                _cell(ws, level.definition, alignment=WRAP),
                _cell(ws, level.frequency, alignment=WRAP),
            ]
        )
    areas = list(matrix.impact[0].areas)
    rows += [[], [_bold(ws, "Impact"), _bold(ws, "Label"), *(_bold(ws, area.capitalize()) for area in areas)]]
    for level in matrix.impact:
        definitions = [_cell(ws, level.areas.get(area, ""), alignment=WRAP) for area in areas]
        rows.append([level.value, level.label, *definitions])
    rows += [
        [],
        [_bold(ws, "Import")],
        ["The Register sheet is also the import format (Import in riskreg): edit it and upload it back."],
        ["Leave Ref empty to add a risk. A risk is matched by its Ref; risks not in the file are untouched."],
        ["Scores, bands, control counts and requirements are worked out by riskreg and ignored on import."],
        ["The columns on the right list the values each drop-down accepts."],
    ]
    return rows
