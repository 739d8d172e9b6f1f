"""The summary sheets: Heatmap (grids per direction), Sites (ASM presence, risks per band) and Legend."""

from __future__ import annotations

from collections import Counter
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange

from riskreg import scoring
from riskreg.dashboard.heatmap import Grid, build_grid
from riskreg.exports import queries
from riskreg.exports.cells import (
    TITLE_FONT,
    WRAP,
    Header,
    PrintedSheet,
    StyledColumn,
    TableSheet,
    fill,
    row_height,
    safe_text,
    text_lines,
)
from riskreg.exports.cells import bold_cell as _bold
from riskreg.exports.cells import styled_cell as _cell
from riskreg.exports.columns import CORPORATE
from riskreg.exports.context import LIST_FIRST_COLUMN, ExportContext
from riskreg.exports.filters_text import describe_filters
from riskreg.risks.models import Direction

CENTRE = Alignment(horizontal="center", vertical="center")


HEATMAP_WIDTHS = (24, 16, 16, 16, 16, 16, 16)
LIFTED_FORMAT = '0"*"'  # the count stays a number; the star marks a cell the people-first rule lifts


def heatmap_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """A grid per direction and one for all, inherent then residual: likelihood down (highest first),
    impact across, counts in cells coloured by band; cells the people-first rule lifts are starred
    and explained under their grid, as on the dashboard. Then the risks per band and direction."""
    sheet = PrintedSheet(wb, "Heatmap", HEATMAP_WIDTHS)
    ws, matrix = sheet.ws, ctx.matrix
    floor = matrix.band_by_key(matrix.people_floor_band).label
    people = ", ".join(d.label for d in Direction if matrix.is_people(d))
    sheet.append([_cell(ws, "Risks per cell of the matrix", font=TITLE_FONT)])
    rule = (
        f"For risks to people ({people}) an impact of {matrix.people_floor_impact} is at least {floor} "
        "(people-first rule): a starred count holds such risks, and the line under its grid says how "
        "many and in which band. "
        if people
        else ""  # a matrix file may list no people directions: then there is no such rule
    )
    _note(
        sheet,
        "Each cell holds the number of exported risks; its colour is the band of that cell. "
        f"{rule}The band totals count each risk in its own band.",
    )
    directions: list[Direction | None] = (
        [ctx.filters.direction] if ctx.filters.direction else [None, *Direction]
    )
    grids: dict[str, dict[Direction | None, Grid]] = {}
    for basis in ("inherent", "residual"):
        rows = queries.cell_counts(ctx.filters, basis)  # one GROUP BY feeds every direction's grid
        grids[basis] = {
            direction: build_grid(
                [row for row in rows if direction is None or row[2] is direction], matrix, basis
            )
            for direction in directions
        }
        for direction, grid in grids[basis].items():
            _grid(sheet, grid, matrix, direction_words(direction))
    for basis, by_direction in grids.items():
        sheet.append([])
        sheet.append([_cell(ws, f"{basis.capitalize()} risks per band", font=TITLE_FONT)])
        sheet.append([_bold(ws, "Band"), *(_bold(ws, direction_words(d)) for d in by_direction)])
        for band in reversed(matrix.bands):
            counts = [grid.band_counts[band.key] for grid in by_direction.values()]
            sheet.append([_cell(ws, band.label, fill=fill(band.fill)), *counts])


def _grid(sheet: PrintedSheet, grid: Grid, matrix: scoring.Matrix, direction: str) -> None:
    ws = sheet.ws
    sheet.append([])
    sheet.append([_cell(ws, f"{grid.title} risk · {direction}", font=TITLE_FONT)])
    sheet.append(
        [_bold(ws, "Likelihood ↓ · Impact →")]
        + [_bold(ws, f"{level.value} · {level.label}") for level in matrix.impact]
    )
    for row in grid.rows():
        first = row[0].likelihood
        cells: list[Any] = [_bold(ws, f"{first} · {matrix.likelihood_label(first)}")]
        for cell in row:
            style: dict[str, Any] = {"fill": fill(cell.band.fill), "alignment": CENTRE}
            if cell.lifted:
                style["number_format"] = LIFTED_FORMAT
            cells.append(_cell(ws, cell.count, **style))
        sheet.append(cells)
    for cell in sorted((c for c in grid.cells.values() if c.lifted), key=lambda c: (-c.likelihood, c.impact)):
        noun = "risk" if cell.lifted == 1 else "risks"
        _note(
            sheet,
            f"* Likelihood {cell.likelihood} {matrix.likelihood_label(cell.likelihood)} × impact "
            f"{cell.impact} {matrix.impact_label(cell.impact)}: {cell.lifted} {noun} to people "
            f"{'is' if cell.lifted == 1 else 'are'} {cell.people_band.label}, not {cell.band.label} "
            "(people-first rule).",
        )


def _note(sheet: PrintedSheet, text: str) -> None:
    """A line of text across the grid's width, wrapped, its row as tall as the text."""
    row = sheet.rows + 1
    sheet.ws.merged_cells.add(CellRange(min_col=1, min_row=row, max_col=len(sheet.widths), max_row=row))
    height = row_height(text_lines(text, sum(sheet.widths)))
    sheet.append([_cell(sheet.ws, text, alignment=WRAP)], height=height)


def direction_words(direction: Direction | None) -> str:
    return "All directions" if direction is None else direction.label


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
    widths = [22, 20, 34, 40, 30, 30, 30, 30, 30]
    widths += [12] * (LIST_FIRST_COLUMN - 1 - len(widths)) + [28] * len(ctx.lists.lists)
    sheet = PrintedSheet(wb, "Legend", widths)
    ws = sheet.ws
    left = _legend_rows(ws, ctx)
    lists = [[_bold(ws, name) for name in ctx.lists.lists]]
    values = list(ctx.lists.lists.values())
    for index in range(max(len(v) for v in values)):
        lists.append([safe_text(ws, v[index]) if index < len(v) else None for v in values])
    for index in range(max(len(left), len(lists))):
        row = left[index] if index < len(left) else []
        row = row + [None] * (LIST_FIRST_COLUMN - 1 - len(row))
        sheet.append(row + (lists[index] if index < len(lists) else []))


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
        ["Columns of your own are ignored on import too; the preview names them."],
        ["The columns on the right list the values each drop-down accepts."],
    ]
    return rows
