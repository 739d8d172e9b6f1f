"""Read the Register sheet of an uploaded workbook into typed cells, with a problem for each bad one.

Only the editable columns are read back (columns.REGISTER_COLUMNS); scores, bands, control counts
and requirements are worked out by riskreg and ignored. A column riskreg does not know (someone's
own notes, say) is ignored too, with a warning: warnings never stop an import, problems do.
Lookups against the register (sites, owners, refs) happen in plan.py.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from riskreg.exports.columns import REGISTER_COLUMNS, Column
from riskreg.imports.package import register_only
from riskreg.modeling import LabelledEnum
from riskreg.params import is_digits

logger = logging.getLogger(__name__)

SHEET = "Register"
MAX_COLUMNS = 100  # the header is looked for in these columns
EXTRA_COLUMNS = 5  # columns read past the last header, to report values without a header
ALIASES = {"next review date": "next_review_date", "review date": "next_review_date"}


@dataclass(frozen=True)
class Problem:
    row: int  # the sheet's row number; 0 for the file as a whole
    column: str  # the column's header, or "" for the whole row or file
    message: str


@dataclass
class SheetRow:
    row: int
    ref: str | None
    cells: dict[str, Any]  # column key -> typed value (None when empty), editable columns only
    bad: set[str] = field(default_factory=set)  # keys whose cell is already reported as a problem


@dataclass
class RegisterSheet:
    present: set[str] = field(default_factory=set)  # keys of the editable columns in the file
    ignored: list[str] = field(default_factory=list)  # headers of the worked-out columns in the file
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # said in the preview; the import goes ahead


class CellError(ValueError):
    pass


def header_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in REGISTER_COLUMNS:
        index[_norm(column.header)] = column
        index[_norm(column.key)] = column
    for alias, key in ALIASES.items():
        index[alias] = next(c for c in REGISTER_COLUMNS if c.key == key)
    return index


def _norm(text: str) -> str:
    return " ".join(str(text).replace("_", " ").split()).lower()


def read_register(data: bytes, max_rows: int) -> RegisterSheet:
    """Parse the Register sheet; the file has passed safety.check_workbook already."""
    result = RegisterSheet()
    with warnings.catch_warnings():
        # openpyxl warns about parts it drops (extensions, print settings): not the importer's concern
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(
            io.BytesIO(register_only(data)), read_only=True, data_only=False, keep_links=False, keep_vba=False
        )
        try:
            sheet = next((ws for ws in workbook.worksheets if ws.title.strip().lower() == "register"), None)
            if sheet is None:
                names = ", ".join(ws.title for ws in workbook.worksheets)
                result.problems.append(
                    Problem(0, "", f"The workbook has no sheet called {SHEET} (it has: {names}).")
                )
                return result
            sheet.reset_dimensions()  # never trust the stored size: read to the real last row
            _read_rows(sheet, max_rows, result)
        finally:
            workbook.close()
    return result


def _read_rows(sheet: Any, max_rows: int, result: RegisterSheet) -> None:
    header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS), ())
    unlabelled: set[int] = set()  # columns already reported: unknown header, or values without one
    columns = _read_header(header, result, unlabelled)
    if columns is None:
        return
    # A few columns past the header are read, to point at values that have no header; rows are
    # padded to this width, so it stays small.
    width = min(MAX_COLUMNS, max(columns) + 1 + EXTRA_COLUMNS)
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=width), start=2):
        if number > 2 * max_rows + 1000:  # blank but formatted rows also cost time: bound them too
            break
        if not any(c.value is not None and (not isinstance(c.value, str) or c.value.strip()) for c in cells):
            continue
        if len(result.rows) >= max_rows:
            result.problems.append(
                Problem(
                    0,
                    "",
                    f"The {SHEET} sheet has more than {max_rows} risks; riskreg imports at most "
                    f"{max_rows} at once. Split the file.",
                )
            )
            return
        # read-only iter_rows yields every row, blank ones included: `number` is the sheet's row
        result.rows.append(_read_row(number, cells, columns, result, unlabelled))


def _read_header(header: Any, result: RegisterSheet, unknown: set[int]) -> dict[int, Column] | None:
    index = header_index()
    columns: dict[int, Column] = {}
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        text = cell.value
        if text is None or not str(text).strip():
            continue
        column = index.get(_norm(text))
        letter = get_column_letter(position + 1)
        if column is None:
            unknown.add(position)
            result.warnings.append(
                Problem(
                    1,
                    str(text),
                    f"Column {letter}: {str(text)!r} is not a column of the register, so it is ignored. "
                    "Rename it to one of the export's headers (see the Legend sheet) to import it.",
                )
            )
        elif column.key in found:
            result.problems.append(
                Problem(1, column.header, f"Column {letter}: {column.header} appears twice.")
            )
        else:
            found[column.key] = position
            columns[position] = column
            if column.editable:
                result.present.add(column.key)
            else:
                result.ignored.append(column.header)
    missing = [c.header for c in REGISTER_COLUMNS if c.required and c.key not in found]
    if missing:
        result.problems.append(
            Problem(
                1,
                "",
                f"The {SHEET} sheet lacks the column(s): {', '.join(missing)}. "
                "Start from an export of the register, which has them all.",
            )
        )
    if not found:
        return None
    return columns


def _read_row(
    number: int, cells: Any, columns: dict[int, Column], result: RegisterSheet, unlabelled: set[int]
) -> SheetRow:
    typed: dict[str, Any] = {}
    bad: set[str] = set()
    for position, cell in enumerate(cells):
        column = columns.get(position)
        if column is None:
            if cell.value is not None and str(cell.value).strip() and position not in unlabelled:
                unlabelled.add(position)  # once per column, not once per row
                letter = get_column_letter(position + 1)
                result.warnings.append(
                    Problem(number, letter, f"Column {letter} holds values but has no header: it is ignored.")
                )
            continue
        if not column.editable:
            continue
        try:
            typed[column.key] = parse_cell(column, cell)
        except CellError as error:
            result.problems.append(Problem(number, column.header, str(error)))
            bad.add(column.key)
    for key in result.present:
        typed.setdefault(key, None)  # short rows: missing trailing cells are empty
    ref = typed.pop("ref", None)
    return SheetRow(number, ref, {k: v for k, v in typed.items() if k not in bad}, bad)


def parse_cell(column: Column, cell: Any) -> Any:
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        raise CellError(
            f"Holds a formula ({str(value)[:40]}). riskreg imports values only: type the value "
            "itself, or paste the column as values."
        )
    if getattr(cell, "data_type", None) == "e":
        raise CellError(f"Holds the spreadsheet error {value}; type a value instead.")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column.key == "ref":
        return str(value).strip().upper()
    if column.kind == "level":
        return parse_level(value, column.header)
    if column.kind == "date":
        return parse_date(value)
    if column.kind == "enum" and column.enum is not None:
        return parse_enum(column.enum, value, column.header.lower())
    return as_text(value)


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value)


def parse_level(value: Any, what: str) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and is_digits(value.strip()) and len(value.strip()) < 6:
        number = int(value.strip())
    if number is None:
        raise CellError(f"{what} must be a whole number from 1 to 5, not {as_text(value)!r}.")
    if not 1 <= number <= 5:
        raise CellError(f"{what} must be from 1 to 5; {number} is out of range.")
    return number


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CellError(f"{as_text(value)!r} is not a date: type a date, or text like 2027-03-31.")


def parse_enum(enum_cls: type[LabelledEnum], value: Any, what: str) -> LabelledEnum:
    """Accept the export's label ("To the company") or the stored value ("to_company"), any case."""
    text = as_text(value).strip()
    key = text.lower()
    for member in enum_cls:
        if key in (member.value, member.label.lower(), member.value.replace("_", " ")):
            return member
    labels = ", ".join(member.label for member in enum_cls)
    raise CellError(f"{text!r} is not a {what}; use one of: {labels}.")
