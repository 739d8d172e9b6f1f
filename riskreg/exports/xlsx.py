"""The workbook: rows in, .xlsx out, with openpyxl's write-only (streaming) mode.

A sheet is one builder function `build(wb, ctx)`; SHEETS lists them in workbook order: DESIGN.md
§4's five (Register, Controls, Heatmap, Sites, Legend), then Coverage and ASM disclosure, then
Indicators, Bowtie, Acceptances and Grievances.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from riskreg.acceptances.export import acceptances_sheet
from riskreg.bowtie.export import bowtie_sheet
from riskreg.exports import queries
from riskreg.exports.asm_sheets import coverage_sheet, disclosure_sheet
from riskreg.exports.context import ExportContext, make_context
from riskreg.exports.labels import language
from riskreg.exports.register_sheets import controls_sheet, register_sheet
from riskreg.exports.summary_sheets import heatmap_sheet, legend_sheet, sites_sheet
from riskreg.grievances.export import grievances_sheet
from riskreg.indicators.export import indicators_sheet
from riskreg.modeling import utcnow
from riskreg.risks.filters import RiskFilters

logger = logging.getLogger(__name__)

SAVE_CHUNK = 1024 * 1024  # bytes zipped between two words to the progress (which throttles its writes)
SheetBuilder = Callable[[Workbook, ExportContext], None]

SHEETS: list[SheetBuilder] = [
    register_sheet,
    controls_sheet,
    heatmap_sheet,
    sites_sheet,
    legend_sheet,
    coverage_sheet,
    disclosure_sheet,
    indicators_sheet,  # after the first seven, which keep their order
    bowtie_sheet,
    acceptances_sheet,
    grievances_sheet,  # without the complainants, for every role
]


def write_workbook(ctx: ExportContext, target: str | IO[bytes], sheets: Sequence[SheetBuilder] = ()) -> None:
    """Build every sheet and save the workbook to a path or a binary file object."""
    wb = Workbook(write_only=True)
    try:
        for build in sheets or SHEETS:
            ctx.announce(f"Writing the {build.__name__.removesuffix('_sheet').replace('_', ' ')} sheet")
            build(wb, ctx)
            ctx.sheet_written()
        ctx.announce("Saving the workbook")  # zipping the sheets: seconds at 100,000 risks
        _save(wb, target, ctx)
    except BaseException:
        _discard(wb)
        raise


class _CountingZip(ZipFile):
    """A zip that says how many bytes of the sheets' temporary files it has compressed so far
    (openpyxl adds each write-only sheet with write(); the small parts use writestr())."""

    def __init__(self, target: str | IO[bytes], heard: Callable[[int], None]) -> None:
        super().__init__(target, "w", ZIP_DEFLATED, allowZip64=True)
        self.heard, self.compressed = heard, 0

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None) -> None:  # noqa: ANN001 (ZipFile's signature)
        info = ZipInfo.from_file(filename, arcname, strict_timestamps=self._strict_timestamps)
        info.compress_type = compress_type if compress_type is not None else self.compression
        info._compresslevel = compresslevel if compresslevel is not None else self.compresslevel
        with open(filename, "rb") as source, self.open(info, "w") as out:
            while chunk := source.read(SAVE_CHUNK):
                out.write(chunk)
                self.compressed += len(chunk)
                self.heard(self.compressed)


def _save(wb: Workbook, target: str | IO[bytes], ctx: ExportContext) -> None:
    """wb.save(target), telling the progress how much of the sheets is zipped."""
    for ws in wb.worksheets:
        if not ws.closed:
            ws.close()  # each sheet's XML complete in its temporary file, so its size is known
    total = sum(os.path.getsize(ws._writer.out) for ws in wb.worksheets) or 1
    archive = _CountingZip(target, lambda done: ctx.saved(done / total))
    wb.properties.modified = utcnow().replace(microsecond=0)
    ExcelWriter(wb, archive).save()  # what openpyxl's save_workbook does, on our zip


def _discard(wb: Workbook) -> None:
    """Remove the per-sheet temporary files of a workbook that failed half-way."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        try:
            writer.close()
            writer.cleanup()
        except (OSError, ValueError):
            logger.warning("could not remove the temporary file of sheet %s", ws.title)


def export_register(
    filters: RiskFilters,
    generated_by: str,
    target: str | IO[bytes],
    year: int | None = None,
    progress: Callable[[int], None] | None = None,
    note: Callable[[str], None] | None = None,
    locale: str | None = None,
) -> ExportContext:
    """The workbook of the register (with `filters`), and the ASM disclosure of `year` (default: this one);
    `progress` hears the rows written of queries.export_row_count(filters). Its words are in `locale`
    (a background job passes the language of the request), else in the current language."""
    with language(locale):
        ctx = make_context(filters, generated_by, year)
        ctx.progress, ctx.note = progress, note
        write_workbook(ctx, target)
    return ctx


def progress_total(filters: RiskFilters) -> int:
    """What a background export's progress counts to (ExportContext.progress): the rows of the
    Register, Controls and Bowtie sheets, written then saved, and one per sheet."""
    from riskreg.bowtie.export import bowtie_line_count

    return 2 * (queries.export_row_count(filters) + bowtie_line_count(filters)) + len(SHEETS)


def download_name(on: date) -> str:
    return f"riskreg-register-{on.isoformat()}.xlsx"
