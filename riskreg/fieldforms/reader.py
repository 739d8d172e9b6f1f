"""Read a submissions export (.xlsx or .csv, as KoboToolbox and ODK Central write them) into a table.

Only the gate and the parsing live here: a workbook passes the register import's hostile-file gate
before openpyxl sees it; a CSV is bounded in size, rows and columns. Every refusal is a
safety.RefusedFile whose text is for the person who uploaded the file.
"""

from __future__ import annotations

import csv
import io
import logging
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import openpyxl
from flask import current_app
from flask_babel import lazy_gettext as _l

from riskreg.i18n import gettext as _
from riskreg.imports import safety

logger = logging.getLogger(__name__)

MAX_COLUMNS = 300  # an export of riskreg's form has about 45
WORKBOOK_SUFFIXES = (".xlsx", ".xls", *safety.MACRO_SUFFIXES)
HOW_TO_EXPORT = _l(
    "Upload the submissions export as .xlsx or .csv: in KoboToolbox, Data > Downloads (XLS or CSV); "
    "in ODK Central, Submissions > Download, then the .csv inside the .zip."
)


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number in the file, cells)


def max_rows() -> int:
    return int(current_app.config["IMPORT_MAX_ROWS"])


def read_export(data: bytes, filename: str) -> Table:
    """The export as a table; raises safety.RefusedFile for anything hostile or unreadable."""
    name = (filename or "").lower()
    if not data:
        raise safety.RefusedFile(_("The file is empty."))
    if name.endswith(".csv"):
        return read_csv(data)
    if name.endswith(WORKBOOK_SUFFIXES) or data.startswith(safety.OLE_MAGIC):
        gate_workbook(data, filename)
        return read_workbook(data, filename)
    raise safety.RefusedFile(HOW_TO_EXPORT)


def gate_workbook(data: bytes, filename: str) -> None:
    """The register import's gate (size, zip bombs, entities, macros): the one call to keep in step."""
    from riskreg.imports.views import limits

    safety.check_workbook(data, filename, limits())


def read_workbook(data: bytes, filename: str) -> Table:
    """The first sheet (KoboToolbox puts the submissions there, repeat groups after it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on parts it drops
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                sheet = book.worksheets[0]
                sheet.reset_dimensions()  # never trust the stored size
                return _table(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
            finally:
                book.close()
    except safety.RefusedFile:
        raise
    except Exception as error:  # a hostile or broken file may fail anywhere inside openpyxl
        logger.warning("field data: unreadable workbook %r: %r", filename, error)
        raise safety.unreadable(error, _("Download the export again, or upload it as .csv.")) from error


def read_csv(data: bytes) -> Table:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise safety.RefusedFile(
            _(
                "The file is %(size)s; riskreg imports exports of up to %(limit)s. "
                "Export a shorter date range, or split the file.",
                size=safety.megabytes(len(data)),
                limit=safety.megabytes(limit),
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise safety.RefusedFile(
            _(
                "This CSV is not UTF-8 text. Download the export again (both tools write UTF-8), or save it "
                "as CSV UTF-8."
            )
        ) from error
    if "\0" in text:
        raise safety.RefusedFile(_("This is not a CSV file: it holds binary data."))
    first_line = text.split("\n", 1)[0]
    # KoboToolbox separates with ';' by default, ODK Central with ','
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        return _table(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise safety.RefusedFile(_("This CSV cannot be read: %(error)s.", error=error)) from error


def _table(rows: Any) -> Table:
    """Header from the first row; blank rows skipped; at most max_rows() submissions."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise safety.RefusedFile(_("The file has no header row: it is not a submissions export."))
    if len(header) > MAX_COLUMNS:
        raise safety.RefusedFile(
            _("The file has more than %(num)s columns: it is not an export of the form.", num=MAX_COLUMNS)
        )
    headers = ["" if h is None else str(h).strip() for h in header]
    width, limit = len(headers), max_rows()
    table = Table(headers)
    for number, cells in enumerate(iterator, start=2):
        values = [_plain(v) for v in list(cells)[:width]]
        if not any(v not in (None, "") for v in values):
            if number > 2 * limit + 1000:  # formatted but empty rows cost time too: bound them
                break
            continue
        if len(table.rows) >= limit:
            raise safety.RefusedFile(
                _(
                    "The file has more than %(num)s submissions; riskreg imports at most %(num)s at once. "
                    "Export a shorter date range, or split the file.",
                    num=limit,
                )
            )
        table.rows.append((number, values + [None] * (width - len(values))))
    return table


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value
    return value
