"""When a risk is due for review: the one home of the rule the register filter, the export, the
dashboard's "past review" figure, the risk page, the reminders and "My work" use.

Only open and draft risks are reviewed. Overdue: the next review date has passed. Due: it falls
today or within the next DUE_WITHIN_DAYS days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from riskreg.risks.models import Risk
from riskreg.risks.services import REVIEWED_STATUSES

DUE_WITHIN_DAYS = 7
STATES = ("due", "overdue")
__all__ = [
    "DUE_WITHIN_DAYS",
    "REVIEWED_STATUSES",
    "STATES",
    "condition",
    "due_condition",
    "overdue_condition",
    "state_of",
]


def overdue_condition(on: date) -> sa.ColumnElement[bool]:
    return sa.and_(Risk.status.in_(REVIEWED_STATUSES), Risk.next_review_date < on)


def due_condition(on: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Risk.status.in_(REVIEWED_STATUSES),
        Risk.next_review_date >= on,
        Risk.next_review_date <= on + timedelta(days=DUE_WITHIN_DAYS),
    )


def condition(state: str, on: date) -> sa.ColumnElement[bool]:
    """SQL for the register filter review=due|overdue."""
    return overdue_condition(on) if state == "overdue" else due_condition(on)


def state_of(risk: Any, on: date) -> str | None:
    """ "overdue", "due" or None for one risk (the same rule in Python)."""
    when = risk.next_review_date
    if when is None or risk.status not in REVIEWED_STATUSES:
        return None
    if when < on:
        return "overdue"
    if when <= on + timedelta(days=DUE_WITHIN_DAYS):
        return "due"
    return None
