"""Whole numbers from URLs and query strings, checked before they reach the database.

`str.isdigit()` accepts "²" (which int() refuses) and ids can be longer than any column holds: both
used to surface as a 500. Everything here answers a bad value with a 400 that names it.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from riskreg.i18n import gettext as _

MAX_ID = 2**31 - 1  # the largest value an INTEGER column holds on PostgreSQL
MAX_PAGE = 1_000_000
_DIGITS = re.compile(r"[0-9]+")


def is_digits(raw: str) -> bool:
    """ASCII digits only (unlike str.isdigit, which also accepts superscripts)."""
    return bool(_DIGITS.fullmatch(raw))


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs, capped so that a 20-digit id is a 404, not an overflow."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def query_int(
    args: MultiDict, name: str, low: int = 1, high: int = MAX_ID, what: str = "Filter"
) -> int | None:
    raw = args.get(name, "").strip()
    if raw == "":
        return None
    if not is_digits(raw) or len(raw) > 12:
        words = {"name": name, "value": repr(raw[:40])}
        if what == "Parameter":
            raise BadRequest(_("Parameter '%(name)s' must be a whole number, not %(value)s.", **words))
        raise BadRequest(_("Filter '%(name)s' must be a whole number, not %(value)s.", **words))
    value = int(raw)
    if value < low or value > high:
        words = {"name": name, "low": low, "high": high, "value": value}
        if what == "Parameter":
            message = _("Parameter '%(name)s' must be from %(low)s to %(high)s, not %(value)s.", **words)
        else:
            message = _("Filter '%(name)s' must be from %(low)s to %(high)s, not %(value)s.", **words)
        raise BadRequest(message)
    return value


def page_args() -> tuple[int, int]:
    """`page` and `per_page` of the current request (PAGE_SIZE when not given)."""
    from flask import current_app, request

    page = query_int(request.args, "page", 1, MAX_PAGE, what="Parameter") or 1
    per_page = (
        query_int(request.args, "per_page", 1, 200, what="Parameter") or current_app.config["PAGE_SIZE"]
    )
    return page, per_page
