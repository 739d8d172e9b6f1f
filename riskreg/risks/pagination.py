"""Keyset pagination for the register: "next" and "previous" cost the same on page 1 and page 2,000.

A cursor names the boundary row by its sort value and id; the next page is the rows strictly after
it in the current order. OFFSET stays for a typed page number (bookmarks), and for the one nullable
sort column, where a cursor would have to reason about where NULLs sort on each database.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from riskreg.params import MAX_ID
from riskreg.risks.models import Risk

KEYSET_SORTS = {"ref", "title", "direction", "category", "inherent", "residual", "status", "updated"}


def encode(value: Any, row_id: int) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    raw = json.dumps([value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(raw: str, column: Any) -> tuple[Any, int]:
    """The cursor's (sort value, id); a 400 when it was not made by riskreg."""
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
            raise ValueError("id")
        python_type = column.type.python_type
        if issubclass(python_type, enum.Enum):
            value = python_type(value)
        elif python_type is datetime:
            value = datetime.fromisoformat(value)
        elif not isinstance(value, python_type) or (python_type is int and not 0 <= value <= MAX_ID):
            raise ValueError("type")
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise BadRequest("The page link is damaged; go back to the first page of the register.") from exc
    return value, row_id


def after(column: Any, descending: bool, value: Any, row_id: int) -> sa.ColumnElement[bool]:
    """Rows that come after (value, id) in ORDER BY column, id (both in the same direction)."""
    if descending:
        return sa.or_(column < value, sa.and_(column == value, Risk.id < row_id))
    return sa.or_(column > value, sa.and_(column == value, Risk.id > row_id))
