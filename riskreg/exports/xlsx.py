"""The workbook: rows in, .xlsx out, with openpyxl's write-only (streaming) mode.

A sheet is one builder function `build(wb, ctx)`; SHEETS lists them in workbook order: DESIGN.md
§4's five (Register, Controls, Heatmap, Sites, Legend), then Coverage and ASM disclosure, then
Indicators, Bowtie and Acceptances.
Indicators and Acceptances.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import IO

from openpyxl import Workbook

from riskreg.acceptances.export import acceptances_sheet
from riskreg.bowtie.export import bowtie_sheet
from riskreg.exports.asm_sheets import coverage_sheet, disclosure_sheet
from riskreg.exports.context import ExportContext, make_context
from riskreg.exports.register_sheets import controls_sheet, register_sheet
from riskreg.exports.summary_sheets import heatmap_sheet, legend_sheet, sites_sheet
from riskreg.grievances.export import grievances_sheet
from riskreg.indicators.export import indicators_sheet
from riskreg.risks.filters import RiskFilters

logger = logging.getLogger(__name__)

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
        ctx.announce("Saving the workbook")  # zipping the sheets: the longest stretch without rows
        wb.save(target)
    except BaseException:
        _discard(wb)
        raise


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
) -> ExportContext:
    """The workbook of the register (with `filters`), and the ASM disclosure of `year` (default: this one);
    `progress` hears the rows written of queries.export_row_count(filters)."""
    ctx = make_context(filters, generated_by, year)
    ctx.progress, ctx.note = progress, note
    write_workbook(ctx, target)
    return ctx


def download_name(on: date) -> str:
    return f"riskreg-register-{on.isoformat()}.xlsx"
