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
from riskreg.exports.labels import (
    COVERAGE,
    DISCLOSURE,
    HEATMAP,
    LEGEND,
    N_,
    NO,
    REGISTER,
    SITES,
    YES,
    enum_label,
    plain,
    sheet_name,
    words,
)
from riskreg.i18n import current_language, ngettext
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.risks.models import Direction

CENTRE = Alignment(horizontal="center", vertical="center")


HEATMAP_WIDTHS = (24, 16, 16, 16, 16, 16, 16)
LIFTED_FORMAT = '0"*"'  # the count stays a number; the star marks a cell the people-first rule lifts
GRID_TITLES = {
    "inherent": N_("Inherent risk · %(direction)s"),
    "residual": N_("Residual risk · %(direction)s"),
}
BAND_TITLES = {"inherent": N_("Inherent risks per band"), "residual": N_("Residual risks per band")}
# The Legend's impact areas, as matrix.toml names them (English: the key, capitalised).
AREA_WORDS = {
    "safety": N_("Safety"),
    "environment": N_("Environment"),
    "social": N_("Social"),
    "reputation": N_("Reputation"),
    "legal": N_("Legal"),
    "financial": N_("Financial"),
    "operations": N_("Operations"),
}


def heatmap_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """A grid per direction and one for all, inherent then residual: likelihood down (highest first),
    impact across, counts in cells coloured by band; cells the people-first rule lifts are starred
    and explained under their grid, as on the dashboard. Then the risks per band and direction."""
    sheet = PrintedSheet(wb, sheet_name(HEATMAP), HEATMAP_WIDTHS)
    ws, matrix = sheet.ws, ctx.matrix
    floor = translate(matrix.band_by_key(matrix.people_floor_band).label)
    people = ", ".join(enum_label(d) for d in Direction if matrix.is_people(d))
    sheet.append([_cell(ws, _("Risks per cell of the matrix"), font=TITLE_FONT)])
    rule = (
        _(
            "For risks to people (%(directions)s) an impact of %(impact)s is at least %(band)s "
            "(people-first rule): a starred count holds such risks, and the line under its grid says how "
            "many and in which band.",
            directions=people,
            impact=matrix.people_floor_impact,
            band=floor,
        )
        + " "
        if people
        else ""  # a matrix file may list no people directions: then there is no such rule
    )
    _note(
        sheet,
        _("Each cell holds the number of exported risks; its colour is the band of that cell.")
        + " "
        + rule
        + _("The band totals count each risk in its own band."),
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
        sheet.append([_cell(ws, words(BAND_TITLES[basis]), font=TITLE_FONT)])
        sheet.append([_bold(ws, _("Band")), *(_bold(ws, direction_words(d)) for d in by_direction)])
        for band in reversed(matrix.bands):
            counts = [grid.band_counts[band.key] for grid in by_direction.values()]
            sheet.append([_cell(ws, translate(band.label), fill=fill(band.fill)), *counts])


def _grid(sheet: PrintedSheet, grid: Grid, matrix: scoring.Matrix, direction: str) -> None:
    ws = sheet.ws
    sheet.append([])
    title = GRID_TITLES.get(grid.basis)
    heading = _(title, direction=direction) if title else f"{grid.title} risk · {direction}"
    sheet.append([_cell(ws, heading, font=TITLE_FONT)])
    sheet.append(
        [_bold(ws, _("Likelihood ↓ · Impact →"))]
        + [_bold(ws, f"{level.value} · {translate(level.label)}") for level in matrix.impact]
    )
    for row in grid.rows():
        first = row[0].likelihood
        cells: list[Any] = [_bold(ws, f"{first} · {translate(matrix.likelihood_label(first))}")]
        for cell in row:
            style: dict[str, Any] = {"fill": fill(cell.band.fill), "alignment": CENTRE}
            if cell.lifted:
                style["number_format"] = LIFTED_FORMAT
            cells.append(_cell(ws, cell.count, **style))
        sheet.append(cells)
    for cell in sorted((c for c in grid.cells.values() if c.lifted), key=lambda c: (-c.likelihood, c.impact)):
        _note(
            sheet,
            ngettext(
                "* Likelihood %(likelihood)s %(likelihood_label)s × impact %(impact)s %(impact_label)s: "
                "%(num)d risk to people is %(people_band)s, not %(band)s (people-first rule).",
                "* Likelihood %(likelihood)s %(likelihood_label)s × impact %(impact)s %(impact_label)s: "
                "%(num)d risks to people are %(people_band)s, not %(band)s (people-first rule).",
                cell.lifted,
                likelihood=cell.likelihood,
                likelihood_label=translate(matrix.likelihood_label(cell.likelihood)),
                impact=cell.impact,
                impact_label=translate(matrix.impact_label(cell.impact)),
                people_band=translate(cell.people_band.label),
                band=translate(cell.band.label),
            ),
        )


def _note(sheet: PrintedSheet, text: str) -> None:
    """A line of text across the grid's width, wrapped, its row as tall as the text."""
    text = plain(text)
    row = sheet.rows + 1
    sheet.ws.merged_cells.add(CellRange(min_col=1, min_row=row, max_col=len(sheet.widths), max_row=row))
    height = row_height(text_lines(text, sum(sheet.widths)))
    sheet.append([_cell(sheet.ws, text, alignment=WRAP)], height=height)


def direction_words(direction: Direction | None) -> str:
    return _("All directions") if direction is None else enum_label(direction)


def sites_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """Each site with its ASM presence and approach, and the exported risks per residual band."""
    bands = ctx.matrix.bands
    headers = [
        Header(_("Site"), 28),
        Header(_("Country"), 16),
        Header(_("Region"), 18),
        Header(_("Lifecycle"), 14),
        Header(_("ASM presence"), 14),
        Header(_("ASM approach"), 22),
        Header(_("Active"), 8),
        *(Header(_("Residual %(band)s", band=translate(band.label).lower()), 11) for band in bands),
        Header(_("Risks"), 9),
    ]
    sheet = TableSheet(wb, sheet_name(SITES), headers)
    ws = sheet.ws
    by_site = queries.band_counts_by_site(ctx.filters, ctx.matrix)
    columns = [StyledColumn(ws, fill=fill(band.fill), alignment=CENTRE) for band in bands]
    yes, no = words(YES), words(NO)

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
                enum_label(site.lifecycle),
                enum_label(site.asm_presence),
                enum_label(site.asm_approach),
                yes if site.active else no,
                *counts(site.id),
            ]
        )
    corporate = _("%(corporate)s (no single site)", corporate=words(CORPORATE))
    sheet.append([corporate, None, None, None, None, None, None, *counts(None)])
    ctx.counts["sites"] = sheet.finish()


def legend_sheet(wb: Workbook, ctx: ExportContext) -> None:
    """The matrix, who made the file and when, the filters; the allowed values on the right."""
    widths = [22, 20, 34, 40, 30, 30, 30, 30, 30]
    widths += [12] * (LIST_FIRST_COLUMN - 1 - len(widths)) + [28] * len(ctx.lists.lists)
    sheet = PrintedSheet(wb, sheet_name(LEGEND), widths)
    ws = sheet.ws
    left = _legend_rows(ws, ctx)
    lists = [[_bold(ws, words(name)) for name in ctx.lists.lists]]
    values = list(ctx.lists.lists.values())
    for index in range(max(len(v) for v in values)):
        lists.append([safe_text(ws, v[index]) if index < len(v) else None for v in values])
    for index in range(max(len(left), len(lists))):
        row = left[index] if index < len(left) else []
        row = row + [None] * (LIST_FIRST_COLUMN - 1 - len(row))
        sheet.append(row + (lists[index] if index < len(lists) else []))


def _coverage_scope(ctx: ExportContext) -> str:
    frameworks = ", ".join(ctx.frameworks) or _("none")
    return _(
        "The company's frameworks (%(frameworks)s), as on /standards. All risks and controls.",
        frameworks=frameworks,
    )


def _people_directions(matrix: scoring.Matrix) -> str:
    """The matrix file's people directions: its codes in English (as the file has them), their
    labels in the other languages."""
    if current_language() == "en":
        return ", ".join(sorted(matrix.people_directions))
    named = {d.value: enum_label(d) for d in Direction}
    return ", ".join(named.get(code, code) for code in sorted(matrix.people_directions))


def _legend_rows(ws: WriteOnlyWorksheet, ctx: ExportContext) -> list[list[Any]]:
    matrix = ctx.matrix
    generated = _cell(ws, ctx.generated_at, number_format="yyyy-mm-dd hh:mm")
    disclosure = _("%(year)s, as /reports/asm-disclosure?year=%(year)s. All sites.", year=ctx.year)
    rows: list[list[Any]] = [
        [_cell(ws, _("riskreg · ASM risk register"), font=TITLE_FONT)],
        [_bold(ws, _("Exported (UTC)")), generated],
        [_bold(ws, _("Exported by")), safe_text(ws, ctx.generated_by)],
        [_bold(ws, _("Filters")), _cell(ws, describe_filters(ctx), alignment=WRAP)],
        [_bold(ws, _("Risks")), ctx.counts.get("risks", 0)],
        [_bold(ws, _("Controls")), ctx.counts.get("controls", 0)],
        [_bold(ws, _("Matrix")), _("%(preset)s preset", preset=matrix.preset)],
        # The two ASM sheets come after this one and ignore the filters: say what they hold here.
        [_bold(ws, sheet_name(COVERAGE)), _cell(ws, _coverage_scope(ctx), alignment=WRAP)],
        [_bold(ws, sheet_name(DISCLOSURE)), _cell(ws, disclosure, alignment=WRAP)],
        [],
        [
            _bold(ws, _("Band")),
            _bold(ws, _("Colour")),
            _bold(ws, _("Tolerability")),
            _bold(ws, _("Response")),
            _bold(ws, _("Review every (days)")),
        ],
    ]
    for band in matrix.bands:
        rows.append(
            [
                _cell(ws, translate(band.label), fill=fill(band.fill)),
                _cell(ws, band.colour, fill=fill(band.colour)),
                _cell(ws, translate(band.tolerability), alignment=WRAP),
                _cell(ws, translate(band.response), alignment=WRAP),
                band.review_days,
            ]
        )
    floor = translate(matrix.band_by_key(matrix.people_floor_band).label)
    rows += [
        [
            _(
                "Risks to people (%(directions)s): an impact of %(impact)s is at least %(band)s.",
                directions=_people_directions(matrix),
                impact=matrix.people_floor_impact,
                band=floor,
            )
        ],
        [],
        [
            _bold(ws, _("Likelihood")),
            _bold(ws, _("Label")),
            _bold(ws, _("Definition")),
            _bold(ws, _("Frequency")),
        ],
    ]
    for level in matrix.likelihood:
        rows.append(
            [
                level.value,
                translate(level.label),
                _cell(ws, translate(level.definition), alignment=WRAP),
                _cell(ws, translate(level.frequency), alignment=WRAP),
            ]
        )
    areas = list(matrix.impact[0].areas)
    area_words = [words(AREA_WORDS[area]) if area in AREA_WORDS else area.capitalize() for area in areas]
    rows += [[], [_bold(ws, _("Impact")), _bold(ws, _("Label")), *(_bold(ws, area) for area in area_words)]]
    for level in matrix.impact:
        definitions = [_cell(ws, translate(level.areas.get(area, "")), alignment=WRAP) for area in areas]
        rows.append([level.value, translate(level.label), *definitions])
    register, ref = sheet_name(REGISTER), words("Ref")
    rows += [
        [],
        [_bold(ws, _("Import"))],
        [
            _(
                "The %(register)s sheet is also the import format (Import in riskreg): edit it and upload it "
                "back.",
                register=register,
            )
        ],
        [
            _(
                "Leave %(ref)s empty to add a risk. A risk is matched by its %(ref)s; risks not in the file "
                "are untouched.",
                ref=ref,
            )
        ],
        [
            _(
                "Scores, bands, control counts and requirements are worked out by riskreg and ignored on "
                "import."
            )
        ],
        [_("Columns of your own are ignored on import too; the preview names them.")],
        [_("The columns on the right list the values each drop-down accepts.")],
    ]
    return [[plain(value) for value in row] for row in rows]
