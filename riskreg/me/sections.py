"""What "My work" (/me) is made of: sections, each a bounded list of what one person must do now.

A feature adds its own section as a function `(user, today) -> Section | None` in its queries.py
and appends it to SECTIONS; None (or an empty section) means nothing for this person. Each function
reads at most 20 items and their total in one or two queries, whatever the size of the register.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg.extensions import db
from riskreg.i18n import gettext, ngettext

LIMIT = 20
# A to-do list counts to CAP: beyond it the section says "100+" and links to the full list, so each
# count is a bounded read however large the register (an exact count of 25,000 above-appetite
# risks without a plan cost 100-500 ms at 100,000 risks; the register has the exact figure).
CAP = 100


@dataclass(frozen=True)
class Item:
    label: str  # e.g. "R-0042 Influx at the northern pit"
    url: str  # where the action is done
    detail: str = ""  # e.g. "review due in 3 days", "3 days overdue"
    action_label: str = _l("Open")  # lazy, as the titles
    urgent: bool = False  # overdue, red: shown first and marked


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # a lazy string (flask_babel), translated where the page is drawn
    items: list[Item] = field(default_factory=list)
    total: int = 0  # all that match; items holds at most LIMIT of them
    more_url: str | None = None  # the full list, when there are more than shown

    @property
    def capped(self) -> bool:
        """True when `total` stopped counting at CAP (there may be more)."""
        return self.total >= CAP


SectionFunction = Callable[[Any, date], Section | None]

# In the order the page shows them. "module:function" strings, imported on first use: the features
# import nothing from here but the dataclasses, and no import cycle can form.
SECTIONS: list[str | SectionFunction] = [
    "riskreg.reviews.queries:my_reviews",
    "riskreg.controls.queries:verification_queue",
    "riskreg.controls.queries:my_department_controls",
    "riskreg.controls.queries:my_overdue_controls",
    "riskreg.critical.queries:my_verifications",
    "riskreg.acceptances.queries:awaiting_my_approval",
    "riskreg.acceptances.queries:escalated_above_appetite",
    "riskreg.grievances.queries:my_department_overdue_grievances",
    "riskreg.comments.queries:my_mentions",
]


def _resolve(entry: str | SectionFunction) -> SectionFunction:
    if callable(entry):
        return entry
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


def sections_for(user: Any, on: date) -> list[Section]:
    """Every section with something in it for `user`, in the order of SECTIONS."""
    found = []
    for entry in SECTIONS:
        section = _resolve(entry)(user, on)
        if section is not None and section.total:
            found.append(section)
    return found


def _capped_count(stmt: sa.Select) -> sa.Select:
    """SELECT count(*) of the rows `stmt` matches, counting no further than CAP."""
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).limit(CAP).subquery())


def count_of(stmt: sa.Select) -> int:
    """How many rows `stmt` matches, counted up to CAP."""
    return db.session.scalar(_capped_count(stmt)) or 0


class Listing:
    """A section's statement as first_and_total runs it: at most LIMIT rows with how many match
    (counted up to CAP) beside each, as an uncorrelated subquery the database works out once. Each
    row is its entity when the statement selects one (sa.select(Control)), else the row itself (its
    columns by name, the count last).

    Made once per process (functools.cache) from a statement whose values are bind parameters, the
    statement is not built again for each page, nor its SQL cache key worked out again: that costs
    more Python than running it (~0.25 ms a section against ~0.1)."""

    def __init__(self, stmt: sa.Select) -> None:
        self.base = stmt
        self.entity = len(stmt.column_descriptions) == 1
        self._built: dict[tuple[int, int], sa.Select] = {}  # per (CAP, LIMIT), as they are when run

    def statement(self) -> sa.Select:
        key = (CAP, LIMIT)
        built = self._built.get(key)
        if built is None:
            total = _capped_count(self.base).scalar_subquery().label("total")
            built = self._built[key] = self.base.add_columns(total).limit(LIMIT)
        return built

    def run(self, **params: Any) -> tuple[list[Any], int]:
        rows = db.session.execute(self.statement(), params).all()
        if not rows:
            return [], 0
        return [row[0] for row in rows] if self.entity else rows, rows[0][-1]


def first_and_total(stmt: sa.Select) -> tuple[list[Any], int]:
    """At most LIMIT rows of `stmt` (ordered) and how many match, up to CAP, in one query (Listing)."""
    return Listing(stmt).run()


def due_words(due: date | None, on: date) -> tuple[str, bool]:
    """("3 days overdue", True), ("due today", False), ("due in 5 days", False) or ("no due date", False)."""
    if due is None:
        return gettext("no due date"), False
    days = (due - on).days
    if days < 0:
        return ngettext("%(num)d day overdue", "%(num)d days overdue", -days), True
    if days == 0:
        return gettext("due today"), False
    return ngettext("due in %(num)d day", "due in %(num)d days", days), False
