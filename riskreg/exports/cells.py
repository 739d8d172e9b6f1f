"""Cells for write-only sheets: safe text, band fills, a print set-up, row heights that fit wrapped
text, and a table writer with a tidy header row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from riskreg import scoring
from riskreg.exports.labels import N_, NOT_IN_SHEET_NAMES, SHEET_NAME_LIMIT, plain, plain_row, words
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate

# A spreadsheet reads text starting with these as a formula (OWASP "CSV injection", ASVS 5.0 1.2.10).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
LAST_ROW = 1_048_576  # Excel's last row: drop-downs also work on rows the user adds
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E3E8EF")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
TITLE_FONT = Font(bold=True, size=14)
LINE_HEIGHT = 15.0  # points per line of Excel's default font (11-point Calibri)
MAX_ROW_HEIGHT = 409.0  # Excel's limit
ERROR_TITLE_LIMIT, ERROR_LIMIT = 32, 255  # Excel's limits on a drop-down's error title and message
FOOTER = N_("&A · page &P of &N")  # the sheet's name and the page number on every printed page


def fill(colour: str) -> PatternFill:
    """A solid fill from a matrix colour ("#C8E6C9")."""
    return PatternFill("solid", fgColor=colour.lstrip("#").upper())


def clean(text: str) -> str:
    """Drop the control characters that XML (and so a workbook) cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text) if ILLEGAL_CHARACTERS_RE.search(text) else text


def is_formula_like(text: str) -> bool:
    return text[:1] in FORMULA_TRIGGERS or text in ERROR_CODES


def safe_text(ws: WriteOnlyWorksheet, value: str | None) -> Any:
    """Text that stays text: a formula-looking string becomes a string cell with Excel's quote prefix.

    openpyxl turns any string starting with "=" into a formula (and "#N/A" into an error); a string
    cell (t="inlineStr") with quotePrefix is shown as the literal text and stays text when edited.
    Nothing is added to the text itself, so the import reads back exactly what was exported.
    """
    if not value:
        return None
    value = clean(plain(value))
    if not is_formula_like(value):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def styled_cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> Cell:
    """One styled cell (text kept safe): for the few cells of a summary, not for long tables."""
    value = plain(value)
    made = safe_text(ws, value) if isinstance(value, str) else value
    cell = made if isinstance(made, Cell) else WriteOnlyCell(ws, value=made)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def bold_cell(ws: WriteOnlyWorksheet, value: Any) -> Cell:
    """A label cell styled as the header row."""
    return styled_cell(ws, value, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP)


def fitted_sheet_name(title: str) -> str:
    """A valid Excel sheet name whatever a translation made of it: none of []:*?/\\, no quote at
    either end, at most 31 characters."""
    name = " ".join(NOT_IN_SHEET_NAMES.sub(" ", title).split()).strip("'")
    return name[:SHEET_NAME_LIMIT].rstrip() or "Sheet"


def new_sheet(wb: Workbook, title: str, title_rows: str = "1:1") -> WriteOnlyWorksheet:
    """A write-only sheet with its print set-up: every sheet of the workbook is made here."""
    ws: WriteOnlyWorksheet = wb.create_sheet(fitted_sheet_name(plain(title)))
    print_setup(ws, title_rows)
    return ws


def print_setup(ws: WriteOnlyWorksheet, title_rows: str = "1:1") -> None:
    """Landscape, one page wide and as many pages down as it takes, `title_rows` repeated on each.

    Write-only order: the fit-to-page flag sits in the sheet's properties, written with the first
    row, so this runs before any row; the page set-up, margins and footer are written at the end,
    the repeated rows with the workbook.
    """
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: no limit on the pages down
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.oddFooter.center.text = words(FOOTER)
    ws.print_title_rows = title_rows


def text_lines(text: str, width: float) -> int:
    """Lines a wrapped cell of `width` (Excel's character units) needs for `text`.

    A column of width w holds about w characters of proportional text once word breaks are counted;
    an estimate that errs on the tall side (a spreadsheet program opening the file does not always
    work the heights out itself, and a cut-off line is worse on paper than a little white space).
    """
    per_line = max(1, int(width))
    if "\n" not in text:
        return max(1, -(-len(text) // per_line))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def row_height(lines: int) -> float | None:
    """The height of a row of `lines` lines; None for one line (the default height)."""
    return None if lines <= 1 else min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines)


def fitted_append(ws: WriteOnlyWorksheet, values: list[Any], index: int, height: float | None) -> None:
    """Append row number `index` with its own height (None: the default). The dimension lives only
    while its row is written, so a long sheet holds none of them in memory."""
    if height is None:
        ws.append(values)
        return
    ws.row_dimensions[index] = RowDimension(ws, index=index, ht=height)
    try:
        ws.append(values)
    finally:
        del ws.row_dimensions[index]


def wrapped_lines(values: Iterable[Any], widths: Sequence[float]) -> int:
    """Lines of the tallest wrapped cell of a row (for the short sheets: it reads each cell's style)."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if isinstance(value, Cell) and isinstance(value.value, str) and value.alignment.wrap_text:
            lines = max(lines, text_lines(value.value, width))
    return lines


class PrintedSheet:
    """A short sheet laid out by hand (Heatmap, Legend): widths, the print set-up, and each row as
    tall as its wrapped cells need."""

    def __init__(self, wb: Workbook, title: str, widths: Sequence[float]) -> None:
        self.ws = new_sheet(wb, plain(title))
        self.widths = list(widths)
        for index, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.rows = 0

    def append(self, values: list[Any], height: float | None = None) -> None:
        """One row; `height` None: as tall as its wrapped cells need."""
        values = plain_row(values)
        self.rows += 1
        if height is None:
            height = row_height(wrapped_lines(values, self.widths))
        fitted_append(self.ws, values, self.rows, height)


class StyledColumn:
    """One reusable styled cell per column (and per band): a write-only row is written at once.

    Styling each cell anew costs a style lookup per cell; reusing a template keeps the export close
    to the bare writer's speed. Never put the same template twice in one row.
    """

    def __init__(self, ws: WriteOnlyWorksheet, **style: Any) -> None:
        self.template = WriteOnlyCell(ws)
        for name, value in style.items():
            setattr(self.template, name, value)

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        self.template.value = value
        return self.template


class BandCells:
    """Cells filled with their band's colour, one template per band (for one column)."""

    def __init__(self, ws: WriteOnlyWorksheet, matrix: scoring.Matrix) -> None:
        self.columns = {band.key: StyledColumn(ws, fill=fill(band.fill)) for band in matrix.bands}
        self.labels = {band.key: translate(band.label) for band in matrix.bands}  # once, not once a cell

    def __call__(self, band: scoring.Band | None) -> Any:
        return None if band is None else self.columns[band.key](self.labels[band.key])


@dataclass(frozen=True)
class Header:
    text: str
    width: float
    validation: DataValidation | None = None
    wrap: bool = False  # long text: the cells wrap and the row is as tall as the text needs


class TableSheet:
    """A write-only sheet holding one table: bold, frozen header row, autofilter, widths, drop-downs,
    the print set-up, and wrapped columns whose rows grow to fit their text."""

    def __init__(self, wb: Workbook, title: str, headers: Sequence[Header], freeze: str = "B2") -> None:
        self.ws: WriteOnlyWorksheet = new_sheet(wb, plain(title))
        self.headers = headers
        # Widths, the frozen pane and the header row go before the first row (write-only order).
        for index, header in enumerate(headers, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = header.width
        self.ws.freeze_panes = freeze
        self.wrapped = {
            index: (header.width, StyledColumn(self.ws, alignment=WRAP))
            for index, header in enumerate(headers)
            if header.wrap
        }
        # Bold text is a little wider than the body's: 0.9 of the width per line.
        lines = (
            max(text_lines(plain(header.text), header.width * 0.9) for header in headers) if headers else 1
        )
        self.ws.row_dimensions[1].height = max(32.0, LINE_HEIGHT * lines + 2)
        self.ws.append([self.header_cell(header.text) for header in headers])
        self.rows = 1

    def header_cell(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=plain(text))
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        return cell

    def append(self, values: Iterable[Any]) -> None:
        """One row; text in a wrapped column is wrapped (a cell given ready-made keeps its style)
        and the row is made as tall as its longest wrapped text."""
        row = plain_row(values)
        lines = 1
        for index, (width, wrap) in self.wrapped.items():
            value = row[index] if index < len(row) else None
            if isinstance(value, str):
                row[index] = wrap(value)
            elif isinstance(value, Cell) and isinstance(value.value, str):
                value = value.value
            else:
                continue
            lines = max(lines, text_lines(value, width))
        self.rows += 1
        fitted_append(self.ws, row, self.rows, row_height(lines))

    def finish(self) -> int:
        """Autofilter over the written rows, drop-downs on their columns; returns the data rows."""
        last = get_column_letter(len(self.headers))
        self.ws.auto_filter.ref = f"A1:{last}{max(self.rows, 2)}"
        for index, header in enumerate(self.headers, 1):
            if header.validation is not None:
                letter = get_column_letter(index)
                header.validation.add(f"{letter}2:{letter}{LAST_ROW}")
                self.ws.data_validations.append(header.validation)
        return self.rows - 1


def fitted(text: str, limit: int) -> str:
    """`text` within Excel's `limit` for a drop-down's message: cut at a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" :;,") + "…"


def list_validation(source: str, what: str, strict: bool = True, legend: str = "Legend") -> DataValidation:
    """A drop-down from a range ("Legend!$H$2:$H$5") or an inline list ('"a,b"').

    Not strict: a warning only (an owner may also be typed as an email address).
    """
    return DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop" if strict else "warning",
        errorTitle=fitted(_("Not a known %(what)s", what=what), ERROR_TITLE_LIMIT),
        error=fitted(
            _("Choose a %(what)s from the list (the %(legend)s sheet lists them).", what=what, legend=legend),
            ERROR_LIMIT,
        ),
    )


def level_validation(legend: str = "Legend") -> DataValidation:
    return DataValidation(
        type="whole",
        operator="between",
        formula1="1",
        formula2="5",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=fitted(_("Level from 1 to 5"), ERROR_TITLE_LIMIT),
        error=fitted(
            _(
                "Likelihood and impact are whole numbers from 1 to 5 (see the %(legend)s sheet).",
                legend=legend,
            ),
            ERROR_LIMIT,
        ),
    )
