"""Keyset pagination for the register: "next" and "previous" cost the same on page 1 and page 2,000.

A cursor names the boundary row by its sort values and id; the next page is the rows strictly after
it in the current order. OFFSET stays for a typed page number (bookmarks), and for the one nullable
sort column, where a cursor would have to reason about where NULLs sort on each database.

A cursor comes back from the browser, so it is decoded strictly: bounded in size before anything
is parsed, a flat JSON list of whole numbers and strings only (no nesting, no true/false/null), the
exact number and types of values the current sort needs. Anything else is a 400 that says so.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from riskreg.params import MAX_ID
from riskreg.risks.models import Risk

OFFSET_SORTS = {"review"}  # the nullable sort column: pages by number only
MAX_CURSOR = 4096  # characters: far above any cursor riskreg makes (a 200-character title in UTF-8)
MAX_TEXT = 1000  # characters of one text value
_NUMBER = r"(?:0|[1-9][0-9]{0,11})"
_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_FLAT_LIST = re.compile(rf"\[(?:{_NUMBER}|{_STRING})(?:,(?:{_NUMBER}|{_STRING}))*\]")
DAMAGED = _l("The page link is damaged; go back to the first page of the register.")


def keyset(sort: str) -> bool:
    return sort.lstrip("-") not in OFFSET_SORTS


def encode(values: Sequence[Any], row_id: int) -> str:
    plain = [_plain(value) for value in values]
    raw = json.dumps([*plain, row_id], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def decode(raw: str, columns: Sequence[Any]) -> tuple[list[Any], int]:
    """The cursor's sort values (typed as `columns`) and id; a 400 when riskreg did not make it."""
    if len(raw) > MAX_CURSOR:
        raise BadRequest(str(DAMAGED))
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if not _FLAT_LIST.fullmatch(text):
            raise ValueError("not a flat list of numbers and strings")
        *values, row_id = json.loads(text)
        if len(values) != len(columns) or not _whole(row_id) or not 0 < row_id <= MAX_ID:
            raise ValueError("shape")
        return [_typed(value, column) for value, column in zip(values, columns, strict=True)], row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest(str(DAMAGED)) from exc


def _typed(value: Any, column: Any) -> Any:
    python_type = column.type.python_type
    if issubclass(python_type, enum.Enum):
        if not isinstance(value, str):
            raise ValueError("enum")
        return python_type(value)
    if python_type is datetime:
        if not isinstance(value, str):
            raise ValueError("datetime")
        return datetime.fromisoformat(value)
    if python_type is int:
        if not _whole(value) or not 0 <= value <= MAX_ID:
            raise ValueError("int")
        return value
    if python_type is str:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError("str")
        return value
    raise ValueError(f"no cursor for {python_type.__name__} columns")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def after(columns: Sequence[Any], descending: bool, values: Sequence[Any], row_id: int) -> Any:
    """Rows that come after (values, id) in ORDER BY columns, id (all in the same direction): one
    row-value comparison, which both databases answer with a range of the sort's index."""
    bounds = [sa.literal(value, column.type) for value, column in zip(values, columns, strict=True)]
    left, right = sa.tuple_(*columns, Risk.id), sa.tuple_(*bounds, sa.literal(row_id))
    return left < right if descending else left > right
