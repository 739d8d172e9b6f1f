"""Pure: counts per (likelihood, impact) -> a grid of cells with bands -> a Plotly figure dict.

A cell counts risks. Its colour is the band of the cell for risks not to people. For risks to
people (communities, ASM miners) the people-first rule can lift a cell to a higher band (impact 5
is at least High); where it does, the cell's label gets an asterisk and its hover text and the
table say how many of its risks are lifted and to which band. The band totals count each risk in
its own band, the rule included, so they match the register's band filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from riskreg.i18n import gettext as _
from riskreg.i18n import ngettext
from riskreg.scoring import LEVELS, Band, Matrix

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
INK = "#1d2433"
BASIS_TITLES = {"inherent": _l("Inherent"), "residual": _l("Residual"), "target": _l("Target")}
# Each basis's chart title and its counted risks: one sentence each (adjectives agree in French).
CHART_TITLES = {"inherent": _l("Inherent risk"), "residual": _l("Residual risk"), "target": _l("Target risk")}


def ref(text: str) -> str:
    """A reference text (a level's or a band's label) in the reader's language; as stored outside
    an application (the pure tests)."""
    if not has_app_context():
        return text
    from riskreg.i18n.reference import translate

    return translate(text) or text


def basis_risks(basis: str, count: int) -> str:
    """ "3 residual risks" in the reader's language."""
    if basis == "inherent":
        return ngettext("%(num)d inherent risk", "%(num)d inherent risks", count)
    if basis == "target":
        return ngettext("%(num)d target risk", "%(num)d target risks", count)
    return ngettext("%(num)d residual risk", "%(num)d residual risks", count)


@dataclass(frozen=True)
class Words:
    """The matrix's labels in the reader's language, translated once per page (not per cell)."""

    likelihood: dict[int, str]
    impact: dict[int, str]
    band: dict[str, str]


def words(matrix: Matrix) -> Words:
    return Words(
        {lv.value: ref(lv.label) for lv in matrix.likelihood},
        {lv.value: ref(lv.label) for lv in matrix.impact},
        {band.key: ref(band.label) for band in matrix.bands},
    )


@dataclass(frozen=True)
class Cell:
    likelihood: int
    impact: int
    count: int
    people_count: int  # risks to people among `count`
    band: Band  # for risks not to people: the cell's colour
    people_band: Band  # for risks to people (higher than `band` when the rule lifts the cell)

    @property
    def lifted(self) -> int:
        """How many of this cell's risks the people-first rule puts in a higher band."""
        return self.people_count if self.people_band.rank > self.band.rank else 0

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


@dataclass(frozen=True)
class Grid:
    basis: str
    cells: dict[tuple[int, int], Cell]
    band_counts: dict[str, int]  # each risk in its own band, people-first rule included
    unscored: int = 0  # risks with no score on this basis (only target scores are optional)
    bands: tuple[Band, ...] = field(default=())

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells.values())

    @property
    def lifted(self) -> int:
        return sum(cell.lifted for cell in self.cells.values())

    def rows(self) -> list[list[Cell]]:
        """Rows from the highest likelihood down, as the chart shows them."""
        return [[self.cells[(lk, im)] for im in LEVELS] for lk in reversed(LEVELS)]

    @property
    def title(self) -> str:
        return str(BASIS_TITLES[self.basis])

    @property
    def chart_title(self) -> str:
        return str(CHART_TITLES[self.basis])

    def risks(self, count: int) -> str:
        return basis_risks(self.basis, count)


def build_grid(rows: Iterable[tuple[Any, Any, Any, int]], matrix: Matrix, basis: str) -> Grid:
    """rows: (likelihood, impact, direction, count) from a GROUP BY; NULL levels are unscored."""
    counts: dict[tuple[int, int], list[int]] = {(lk, im): [0, 0] for lk in LEVELS for im in LEVELS}
    unscored = 0
    for likelihood, impact, direction, count in rows:
        if likelihood is None or impact is None:
            unscored += count
            continue
        entry = counts[(likelihood, impact)]
        entry[0] += count
        if matrix.is_people(direction):
            entry[1] += count
    bands = matrix.cell_bands
    cells = {
        (lk, im): Cell(lk, im, total, people, *bands[(lk, im)])
        for (lk, im), (total, people) in counts.items()
    }
    # Each risk in its own band (Matrix.tally's count): a cell's risks to people in its people band.
    band_counts = dict.fromkeys(matrix.band_keys, 0)
    for cell in cells.values():
        band_counts[cell.band.key] += cell.count - cell.people_count
        band_counts[cell.people_band.key] += cell.people_count
    return Grid(basis, cells, band_counts, unscored, matrix.bands)


def cell_label(cell: Cell) -> str:
    return f"{cell.count}*" if cell.lifted else str(cell.count)


# A figure or table says the same few sentences of every cell: each message is translated once
# (gettext without values gives the translation as it is) and filled in per cell, and a plural once
# per count; the text is what _(message, **values) would give.
def hover_texts(shown: Words) -> Callable[[Cell], str]:
    """The hover text of a cell: where it is, its risks and band, the people-first rule's lift."""
    where = _("Likelihood %(likelihood)s %(likelihood_label)s × impact %(impact)s %(impact_label)s")
    lift = _("%(count)s to people: %(band)s (people-first rule)")
    click = "<br>" + _("Click to open them in the register")
    risks = cache(lambda count: ngettext("%(num)d risk", "%(num)d risks", count))

    def text(cell: Cell) -> str:
        said = where % {
            "likelihood": cell.likelihood,
            "likelihood_label": shown.likelihood[cell.likelihood],
            "impact": cell.impact,
            "impact_label": shown.impact[cell.impact],
        }
        said += f"<br>{risks(cell.count)} · {shown.band[cell.band.key]}"
        lifted = cell.lifted
        if lifted:
            said += "<br>" + lift % {"count": lifted, "band": shown.band[cell.people_band.key]}
        return said + click if cell.count else said

    return text


@dataclass(frozen=True)
class TableCell:
    """One cell of the table under the chart (what screen readers and the keyboard use)."""

    cell: Cell
    band: Markup  # the cell's band, in the reader's language
    href: str | None  # the register's risks of this cell; None for an empty cell
    label: Markup  # the link's name: the cell in one sentence ("" for an empty cell)
    people: Markup  # "2 to people: High" where the people-first rule lifts the cell, else ""


def table(grid: Grid, shown: Words, link: Callable[[Cell], str]) -> list[tuple[str, list[TableCell]]]:
    """The table's rows from the highest likelihood down, each with its heading: every text in the
    reader's language, built here once per cell rather than by the template's filters.

    The sentences are what the template's _(message, **values) would print: the translation as
    markup, the values escaped (each word escaped once per table; numbers need none)."""
    people = _("%(count)s to people: %(band)s")
    named = _(
        "Likelihood %(likelihood)s %(likelihood_label)s, impact %(impact)s %(impact_label)s: "
        "%(risks)s, band %(band)s. Open them in the register"
    )
    named_lifted = _(
        "Likelihood %(likelihood)s %(likelihood_label)s, impact %(impact)s %(impact_label)s: "
        "%(risks)s, band %(band)s (%(lifted)s to people: %(people_band)s). Open them in the register"
    )
    likelihoods = {value: escape(label) for value, label in shown.likelihood.items()}
    impacts = {value: escape(label) for value, label in shown.impact.items()}
    bands = {key: escape(label) for key, label in shown.band.items()}
    risks = cache(lambda count: escape(grid.risks(count)))

    def shown_cell(cell: Cell) -> TableCell:
        band = bands[cell.band.key]
        lifted = cell.lifted
        lifted_to = bands[cell.people_band.key]
        note = Markup(people % {"count": lifted, "band": lifted_to}) if lifted else Markup()  # noqa: S704
        if not cell.count:
            return TableCell(cell, band, None, Markup(), note)
        values = {
            "likelihood": cell.likelihood,
            "likelihood_label": likelihoods[cell.likelihood],
            "impact": cell.impact,
            "impact_label": impacts[cell.impact],
            "risks": risks(cell.count),
            "band": band,
        }
        if lifted:
            values |= {"lifted": lifted, "people_band": lifted_to}
        label = Markup((named_lifted if lifted else named) % values)  # noqa: S704 (values escaped)
        return TableCell(cell, band, link(cell), label, note)

    rows = []
    for cells in grid.rows():
        likelihood = cells[0].likelihood
        rows.append((f"{likelihood} {shown.likelihood[likelihood]}", [shown_cell(cell) for cell in cells]))
    return rows


def stepped_colorscale(bands: tuple[Band, ...]) -> list[list[Any]]:
    """One flat colour per band rank: z = rank with zmin -0.5 and zmax n - 0.5."""
    n = len(bands)
    scale: list[list[Any]] = []
    for band in bands:
        scale.append([band.rank / n, band.fill])
        scale.append([(band.rank + 1) / n, band.fill])
    return scale


def figure(
    grid: Grid, matrix: Matrix, link: Callable[[Cell], str], shown: Words | None = None
) -> dict[str, Any]:
    """The heatmap: impact on x, likelihood on y, cells coloured by band and labelled with counts.

    customdata holds each cell's drill-down URL (None for empty cells, which do not navigate).
    `shown`: the matrix's words, when the page has them already.
    """
    ordered = [[grid.cells[(lk, im)] for im in LEVELS] for lk in LEVELS]  # y ascends from the bottom
    shown = shown or words(matrix)
    likelihoods, impacts = shown.likelihood, shown.impact
    hover = hover_texts(shown)
    trace = {
        "type": "heatmap",
        "x": list(LEVELS),
        "y": list(LEVELS),
        "z": [[cell.band.rank for cell in row] for row in ordered],
        "zmin": -0.5,
        "zmax": len(matrix.bands) - 0.5,
        "colorscale": stepped_colorscale(matrix.bands),
        "showscale": False,
        "xgap": 3,
        "ygap": 3,
        "text": [[cell_label(cell) for cell in row] for row in ordered],
        "texttemplate": "%{text}",
        "textfont": {"size": 18, "color": INK, "family": FONT},
        "hovertext": [[hover(cell) for cell in row] for row in ordered],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "customdata": [[link(cell) if cell.count else None for cell in row] for row in ordered],
    }
    # automargin: on a phone the impact labels turn sideways and the margin grows to hold them
    axis = {
        "tickvals": list(LEVELS),
        "fixedrange": True,
        "showgrid": False,
        "zeroline": False,
        "automargin": True,
    }
    layout = {
        "title": {"text": grid.chart_title, "font": {"size": 15}},
        "xaxis": {
            **axis,
            "title": {"text": _("Impact")},
            "ticktext": [f"{lv.value}<br>{impacts[lv.value]}" for lv in matrix.impact],
        },
        "yaxis": {
            **axis,
            "title": {"text": _("Likelihood")},
            "ticktext": [f"{lv.value} {likelihoods[lv.value]}" for lv in matrix.likelihood],
        },
        "dragmode": False,  # clicks do not fire while a drag mode is on
        "hovermode": "closest",
        "height": 400,
        "margin": {"l": 120, "r": 10, "t": 40, "b": 70},
        "font": {"family": FONT, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
    }
    return {"data": [trace], "layout": layout, "config": {"displayModeBar": False, "responsive": True}}
