"""The bowtie drawn on the server: positions computed here, in Python, and drawn by the template
templates/bowtie/bowtie.svg (escaped like every page). Causes on the left, the risk event in the
middle, consequences on the right; preventive controls sit on their cause's line, mitigating ones
on their consequence's line, several to a line in rows, so 8 causes, 8 consequences and 20 controls
stay legible. Controls whose line is not said sit on a "not given" line; those without a role under
the event."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from riskreg.controls.models import Effectiveness, Role

WIDTH = 1500
ITEM_W = 210  # cause and consequence boxes
CONTROL_W, CONTROL_H = 118, 64
PER_ROW = 3  # controls side by side on one line
GAP = 10
ROW_GAP = 18
TOP = 56
EVENT_W, EVENT_H = 190, 120
LEFT_X, RIGHT_X = 10, WIDTH - 10 - ITEM_W
LEFT_BARRIER = (LEFT_X + ITEM_W + 25, WIDTH // 2 - EVENT_W // 2 - 30)
RIGHT_BARRIER = (WIDTH // 2 + EVENT_W // 2 + 30, RIGHT_X - 15)
HEADING_X = (LEFT_X, LEFT_BARRIER[0], RIGHT_BARRIER[0], RIGHT_X)  # above each column
NOTE_AT = ((770, 12), (1030, 12), (10, 36))  # the legend's notes: x, y below the legend's top

# Fill and stroke per effectiveness; the words are always written too (colour is never the only sign).
COLOURS = {
    Effectiveness.EFFECTIVE: ("#dcf3e4", "#1a7f46"),
    Effectiveness.PARTIALLY_EFFECTIVE: ("#fff0c7", "#8a5a00"),
    Effectiveness.INEFFECTIVE: ("#fde2e1", "#b42318"),
    Effectiveness.NOT_ASSESSED: ("#eeeeee", "#5f6368"),
}
SHORT = {
    Effectiveness.EFFECTIVE: _l("effective"),
    Effectiveness.PARTIALLY_EFFECTIVE: _l("partial"),
    Effectiveness.INEFFECTIVE: _l("ineffective"),
    Effectiveness.NOT_ASSESSED: _l("not assessed"),
}
CRITICAL_MARK = "◆"
FAILED_MARK = "✗"
# The drawing's words: lazy messages keep their translation per language, so a page of bowties
# (the dashboard's board pack draws three) looks each up once, and said() fills in the values.
ROLE_NOT_SET, ROLE_NOT_SET_HEADING = _l("role not set"), _l("Role not set")
ON_ITEM, ROLE_ONLY = _l("%(control)s: %(role)s on “%(item)s”"), _l("%(control)s: %(role)s")
RATED_HERE, CRITICAL, LAST_FAILED = (
    _l("%(rating)s for this risk"),
    _l("critical control"),
    _l("last verification failed"),
)
CAUSE_NOT_GIVEN, CONSEQUENCE_NOT_GIVEN = _l("Cause not given"), _l("Consequence not given")
CAUSE, CONSEQUENCE = _l("Cause: %(text)s"), _l("Consequence: %(text)s")
EVENT, TITLE = _l("Risk event %(ref)s: %(title)s"), _l("Bowtie of %(ref)s %(title)s")
DESCRIPTION = _l(
    "%(causes)s causes on the left, the risk event in the middle, %(consequences)s consequences on "
    "the right; %(controls)s controls on their lines."
)
EVERY_LINE = _l("The table with the drawing lists every line.")
HEADINGS = (_l("Causes"), _l("Preventive controls"), _l("Mitigating controls"), _l("Consequences"))
NOTES = (
    _l("◆ critical control (thick border)"),
    _l("✗ last verification failed"),
    _l("Dashed: a line whose cause or consequence is not given."),
)


def said(message: LazyString, **values: object) -> str:
    """A lazy message in the reader's language with its values: what _(message, **values) gives."""
    return str(message) % values


@dataclass(frozen=True)
class ControlLine:
    """One control on the risk: what the page's table and the workbook's sheet also list."""

    control_id: int
    ref: str
    title: str
    role: Role | None
    item_id: int | None  # the cause (preventive) or consequence (mitigating) it acts on
    effectiveness: Effectiveness
    own_rating: bool  # rated for this risk (else the control's own rating)
    critical: bool
    last_failed: bool


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    lines: list[str]
    title: str
    fill: str = "#ffffff"
    stroke: str = "#333333"
    stroke_width: float = 1.5
    dashed: bool = False
    href: str | None = None

    @property
    def text_x(self) -> float:
        return self.x + 8

    def placed(self, size: float = 12) -> list[tuple[str, float]]:
        """Each line with its baseline, the block centred in the box."""
        start = self.y + (self.h - size * 1.25 * len(self.lines)) / 2 + size * 0.95
        return [(line, round(start + i * size * 1.25, 1)) for i, line in enumerate(self.lines)]


@dataclass
class Path:
    d: str
    dashed: bool = False


@dataclass
class Drawing:
    width: int
    height: int
    title: str
    description: str
    event: Box
    items: list[Box] = field(default_factory=list)
    controls: list[Box] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # fill, stroke, words
    legend_y: float = 0
    headings: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, words
    # The legend's marks under the colours: x, y below legend_y, words.
    notes: list[tuple[float, float, str]] = field(default_factory=list)


def wrap(text: str, width: int, lines: int) -> list[str]:
    """At most `lines` lines of `width` characters; the last ends with … when text was left out."""
    return list(_wrapped(text, width, lines))


@lru_cache(maxsize=4096)
def _wrapped(text: str, width: int, lines: int) -> tuple[str, ...]:
    """wrap()'s lines, kept: textwrap costs half a drawing, and every view of the dashboard draws
    the same controls' titles again."""
    wrapped = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(0, width - 1)].rstrip() + "…"
    return tuple(wrapped)


def _control_box(line: ControlLine, x: float, y: float, item_text: str | None) -> Box:
    fill, stroke = COLOURS[line.effectiveness]
    marks = (f" {CRITICAL_MARK}" if line.critical else "") + (f" {FAILED_MARK}" if line.last_failed else "")
    control = f"{line.ref} {line.title}"
    role = line.role.label.lower() if line.role else str(ROLE_NOT_SET)
    if item_text:
        clauses = [said(ON_ITEM, control=control, role=role, item=item_text)]
    else:
        clauses = [said(ROLE_ONLY, control=control, role=role)]
    rating = line.effectiveness.label.lower()
    clauses.append(said(RATED_HERE, rating=rating) if line.own_rating else rating)
    if line.critical:
        clauses.append(str(CRITICAL))
    if line.last_failed:
        clauses.append(str(LAST_FAILED))
    title = "; ".join(clauses)
    return Box(
        x,
        y,
        CONTROL_W,
        CONTROL_H,
        [f"{line.ref}{marks}", *wrap(line.title, 18, 2), str(SHORT[line.effectiveness])],
        title,
        fill,
        stroke,
        3.5 if line.critical else 1.5,
        href=f"/controls/{line.control_id}",
    )


def _rows_needed(count: int) -> int:
    return max(1, math.ceil(count / PER_ROW))


def draw(
    ref: str,
    title: str,
    causes: list[tuple[int, str]],
    consequences: list[tuple[int, str]],
    lines: list[ControlLine],
) -> Drawing:
    centre_x = WIDTH / 2
    sides = []
    for role, items, barrier, item_x in (
        (Role.PREVENTIVE, causes, LEFT_BARRIER, LEFT_X),
        (Role.MITIGATING, consequences, RIGHT_BARRIER, RIGHT_X),
    ):
        on_side = [line for line in lines if line.role is role]
        known = {item_id for item_id, _ in items}
        rows: list[tuple[int | None, str, list[ControlLine]]] = [
            (item_id, text, [line for line in on_side if line.item_id == item_id]) for item_id, text in items
        ]
        loose = [line for line in on_side if line.item_id not in known]
        if loose:
            rows.append(
                (None, str(CAUSE_NOT_GIVEN if role is Role.PREVENTIVE else CONSEQUENCE_NOT_GIVEN), loose)
            )
        sides.append((role, rows, barrier, item_x))
    unset = [line for line in lines if line.role is None]

    def side_height(rows) -> float:
        return sum(_rows_needed(len(controls)) * (CONTROL_H + GAP) + ROW_GAP for _, _, controls in rows)

    # Controls without a role sit in a column under the event, clear of the lines that meet it.
    unset_height = len(unset) * (CONTROL_H + GAP) + 40 if unset else 0
    body = max([side_height(rows) for _, rows, _, _ in sides] + [EVENT_H + 40 + 2 * unset_height])
    centre_y = TOP + body / 2
    event = Box(
        centre_x - EVENT_W / 2,
        centre_y - EVENT_H / 2,
        EVENT_W,
        EVENT_H,
        [ref, *wrap(title, 26, 5)],
        said(EVENT, ref=ref, title=title),
        "#1f3a5f",
        "#1f3a5f",
        2,
    )
    drawing = Drawing(
        WIDTH,
        0,
        said(TITLE, ref=ref, title=title),
        said(DESCRIPTION, causes=len(causes), consequences=len(consequences), controls=len(lines))
        + " "
        + str(EVERY_LINE),
        event,
        headings=[(x, 30, str(words)) for x, words in zip(HEADING_X, HEADINGS, strict=True)],
        notes=[(x, dy, str(words)) for (x, dy), words in zip(NOTE_AT, NOTES, strict=True)],
    )
    for role, rows, (left, right), item_x in sides:
        y = TOP
        for item_id, text, controls in rows:
            height = _rows_needed(len(controls)) * (CONTROL_H + GAP) - GAP
            line_y = y + height / 2
            box = Box(
                item_x,
                line_y - 26,
                ITEM_W,
                52,
                wrap(text, 30, 3),
                said(CAUSE if role is Role.PREVENTIVE else CONSEQUENCE, text=text),
                "#ffffff",
                "#333333",
                1.5,
                dashed=item_id is None,
            )
            drawing.items.append(box)
            if role is Role.PREVENTIVE:
                start, end = (item_x + ITEM_W, line_y), (event.x, centre_y)
                elbow = right + 20
            else:
                start, end = (item_x, line_y), (event.x + EVENT_W, centre_y)
                elbow = left - 20
            drawing.paths.append(
                Path(
                    f"M{start[0]:.0f},{start[1]:.1f} H{elbow:.0f} L{end[0]:.0f},{end[1]:.1f}",
                    dashed=item_id is None,
                )
            )
            for index, line in enumerate(controls):
                row, column = divmod(index, PER_ROW)
                span = right - left
                count = min(PER_ROW, len(controls) - row * PER_ROW)
                step = span / count
                x = left + step * column + (step - CONTROL_W) / 2
                cy = y + row * (CONTROL_H + GAP)
                drawing.controls.append(_control_box(line, x, cy, text if item_id is not None else None))
            y += height + GAP + ROW_GAP
    if unset:
        top = event.y + EVENT_H + 40
        x = centre_x - CONTROL_W / 2
        drawing.headings.append((x, top - 10, str(ROLE_NOT_SET_HEADING)))
        for index, line in enumerate(unset):
            drawing.controls.append(_control_box(line, x, top + index * (CONTROL_H + GAP), None))
    drawing.legend_y = TOP + body + 20
    drawing.legend = [
        (*COLOURS[e], e.label)
        for e in (
            Effectiveness.EFFECTIVE,
            Effectiveness.PARTIALLY_EFFECTIVE,
            Effectiveness.INEFFECTIVE,
            Effectiveness.NOT_ASSESSED,
        )
    ]
    drawing.height = int(drawing.legend_y + 50)
    return drawing
