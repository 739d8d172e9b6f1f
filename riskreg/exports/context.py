"""What every sheet builder gets: the filters, the matrix, who and when, the allowed values, and
the disclosure year and the company's frameworks (for the Coverage and ASM disclosure sheets)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl.utils import get_column_letter

from riskreg import reference, scoring
from riskreg.exports import queries
from riskreg.exports.columns import CORPORATE
from riskreg.exports.labels import LEGEND, enum_label, quoted_sheet, sheet_name, words
from riskreg.i18n.reference import translate
from riskreg.modeling import utcnow
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment
from riskreg.standards import settings

LIST_FIRST_COLUMN = 11  # the allowed values sit on the Legend sheet from column K, right of the legend
PROGRESS_ROWS = 100  # rows between calls to a progress callback (it throttles its own writes)


@dataclass
class ValueLists:
    """Allowed values (drop-down sources), laid out as columns of the Legend sheet."""

    lists: dict[str, list[str]]  # by the English msgid of the column's header; values as shown

    def column(self, name: str) -> str:
        return get_column_letter(LIST_FIRST_COLUMN + list(self.lists).index(name))

    def ref(self, name: str) -> str:
        letter, size = self.column(name), max(len(self.lists[name]), 1)
        return f"{quoted_sheet(sheet_name(LEGEND))}!${letter}$2:${letter}${size + 1}"


@dataclass
class ExportContext:
    filters: RiskFilters
    matrix: scoring.Matrix
    generated_at: datetime  # UTC, naive (Excel has no time zones)
    generated_by: str
    sites: list[Any]
    lists: ValueLists
    year: int  # of the ASM disclosure sheet
    frameworks: list[str]  # the company's frameworks (as on /standards), for the Coverage sheet
    counts: dict[str, int] = field(default_factory=dict)  # rows written per sheet, for the Legend
    # A background export's progress hears how far it is, in rows of its long sheets (Register,
    # Controls, Bowtie) counted twice: once written into their sheet, once saved into the file,
    # plus one per sheet done (xlsx.progress_total); so the bar moves in every phase.
    progress: Callable[[int], None] | None = None
    note: Callable[[str], None] | None = None  # ...and hears which part is being written
    rows_written: int = 0
    sheets_written: int = 0  # each sheet counts one more when it is done (the short ones move the bar too)

    def announce(self, message: str) -> None:
        if self.note is not None:
            self.note(message)

    def row_written(self) -> None:
        self.rows_written += 1
        if self.progress is not None and not self.rows_written % PROGRESS_ROWS:
            self.progress(self.rows_written + self.sheets_written)

    def sheet_written(self) -> None:
        self.sheets_written += 1
        if self.progress is not None:
            self.progress(self.rows_written + self.sheets_written)

    def saved(self, fraction: float) -> None:
        """`fraction` of the sheets' bytes is zipped into the file: as many of the rows are saved."""
        if self.progress is not None:
            saved = int(self.rows_written * min(fraction, 1.0))
            self.progress(self.rows_written + self.sheets_written + saved)

    @property
    def today(self) -> date:
        return self.generated_at.date()

    def band_table(self) -> dict[tuple[int, int, bool], scoring.Band]:
        """The band of every (likelihood, impact, risk to people) once, instead of once per cell."""
        return {
            (lk, im, is_people): self.matrix.band_for(lk, im, is_people)
            for lk in scoring.LEVELS
            for im in scoring.LEVELS
            for is_people in (False, True)
        }


def make_context(filters: RiskFilters, generated_by: str, year: int | None = None) -> ExportContext:
    sites = queries.sites()
    lists = ValueLists(
        {
            "Direction": [enum_label(d) for d in Direction],
            "Category": [str(translate(c) or c) for c in reference.categories()],
            "Treatment": [enum_label(t) for t in Treatment],
            "Consequence area": [enum_label(a) for a in ImpactArea],
            "Status": [enum_label(s) for s in RiskStatus],
            "Site": [words(CORPORATE), *(site.name for site in sites)],
            "Owner": queries.owner_names(),
        }
    )
    generated_at = utcnow().replace(microsecond=0)
    return ExportContext(
        filters,
        scoring.matrix(),
        generated_at,
        generated_by,
        sites,
        lists,
        year=year if year is not None else generated_at.year,
        frameworks=settings.selected_framework_keys(),
    )
