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
from flask_babel.speaklater import LazyString
from openpyxl.utils import get_column_letter

from riskreg.exports.columns import REGISTER_COLUMNS, Column
from riskreg.exports.labels import (
    LEGEND,
    REGISTER,
    enum_label,
    enum_lookup,
    lookup,
    norm,
    sheet_name,
    sheet_names,
)
from riskreg.i18n import gettext as _
from riskreg.imports.package import register_only
from riskreg.modeling import LabelledEnum
from riskreg.params import is_digits

logger = logging.getLogger(__name__)

SHEET = REGISTER  # the English msgid: the sheet is found by its name in any language
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
    """Every column by its header in every language riskreg speaks (the current one first), its
    key and a few aliases: a workbook exported in Portuguese reads back as well as an English one."""
    index: dict[str, Column] = lookup(lambda: ((column.label, column) for column in REGISTER_COLUMNS))
    for column in REGISTER_COLUMNS:
        index.setdefault(_norm(column.header), column)
        index.setdefault(_norm(column.key), column)
    for alias, key in ALIASES.items():
        index.setdefault(alias, next(c for c in REGISTER_COLUMNS if c.key == key))
    return index


def _norm(text: str) -> str:
    return norm(text)


def read_register(data: bytes, max_rows: int) -> RegisterSheet:
    """Parse the Register sheet; the file has passed safety.check_workbook already."""
    result = RegisterSheet()
    names = sheet_names(SHEET)  # "register", "registre", "registro", "riscos"
    with warnings.catch_warnings():
        # openpyxl warns about parts it drops (extensions, print settings): not the importer's concern
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(
            io.BytesIO(register_only(data, names)),
            read_only=True,
            data_only=False,
            keep_links=False,
            keep_vba=False,
        )
        try:
            sheet = next((ws for ws in workbook.worksheets if _norm(ws.title.strip()) in names), None)
            if sheet is None:
                found = ", ".join(ws.title for ws in workbook.worksheets)
                result.problems.append(
                    Problem(
                        0,
                        "",
                        _(
                            "The workbook has no sheet called %(sheet)s (it has: %(names)s).",
                            sheet=sheet_name(SHEET),
                            names=found,
                        ),
                    )
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
                    _(
                        "The %(sheet)s sheet has more than %(max)s risks; riskreg imports at most %(max)s "
                        "at once. Split the file.",
                        sheet=sheet_name(SHEET),
                        max=max_rows,
                    ),
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
                    _(
                        "Column %(letter)s: %(header)s is not a column of the register, so it is ignored. "
                        "Rename it to one of the export's headers (see the %(legend)s sheet) to import it.",
                        letter=letter,
                        header=repr(str(text)),
                        legend=sheet_name(LEGEND),
                    ),
                )
            )
        elif column.key in found:
            result.problems.append(
                Problem(
                    1,
                    column.label,
                    _("Column %(letter)s: %(header)s appears twice.", letter=letter, header=column.label),
                )
            )
        else:
            found[column.key] = position
            columns[position] = column
            if column.editable:
                result.present.add(column.key)
            else:
                result.ignored.append(column.header)
    missing = [c.label for c in REGISTER_COLUMNS if c.required and c.key not in found]
    if missing:
        result.problems.append(
            Problem(
                1,
                "",
                _(
                    "The %(sheet)s sheet lacks the column(s): %(columns)s. "
                    "Start from an export of the register, which has them all.",
                    sheet=sheet_name(SHEET),
                    columns=", ".join(missing),
                ),
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
                    Problem(
                        number,
                        letter,
                        _("Column %(letter)s holds values but has no header: it is ignored.", letter=letter),
                    )
                )
            continue
        if not column.editable:
            continue
        try:
            typed[column.key] = parse_cell(column, cell)
        except CellError as error:
            result.problems.append(Problem(number, column.label, str(error)))
            bad.add(column.key)
    for key in result.present:
        typed.setdefault(key, None)  # short rows: missing trailing cells are empty
    ref = typed.pop("ref", None)
    return SheetRow(number, ref, {k: v for k, v in typed.items() if k not in bad}, bad)


def parse_cell(column: Column, cell: Any) -> Any:
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        raise CellError(
            _(
                "Holds a formula (%(formula)s). riskreg imports values only: type the value "
                "itself, or paste the column as values.",
                formula=str(value)[:40],
            )
        )
    if getattr(cell, "data_type", None) == "e":
        raise CellError(_("Holds the spreadsheet error %(error)s; type a value instead.", error=value))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column.key == "ref":
        return str(value).strip().upper()
    if column.kind == "level":
        return parse_level(value, LazyString(lambda: column.label))  # translated only for a message
    if column.kind == "date":
        return parse_date(value)
    if column.kind == "enum" and column.enum is not None:
        return parse_enum(column.enum, value, LazyString(lambda: column.label.lower()))
    return as_text(value)


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value)


def parse_level(value: Any, what: str | LazyString) -> int:
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
        raise CellError(
            _(
                "%(what)s must be a whole number from 1 to 5, not %(value)s.",
                what=what,
                value=repr(as_text(value)),
            )
        )
    if not 1 <= number <= 5:
        raise CellError(
            _("%(what)s must be from 1 to 5; %(number)s is out of range.", what=what, number=number)
        )
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
    raise CellError(
        _("%(value)s is not a date: type a date, or text like 2027-03-31.", value=repr(as_text(value)))
    )


def parse_enum(enum_cls: type[LabelledEnum], value: Any, what: str | LazyString) -> LabelledEnum:
    """Accept the export's label in any language ("To the company", "Para a empresa") or the stored
    value ("to_company"), any case."""
    text = as_text(value).strip()
    member = enum_lookup(enum_cls).get(norm(text))
    if member is not None:
        return member
    labels = ", ".join(enum_label(member) for member in enum_cls)
    raise CellError(
        _("%(value)s is not a %(what)s; use one of: %(labels)s.", value=repr(text), what=what, labels=labels)
    )
