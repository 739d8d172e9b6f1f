"""The pages a view can be saved for: how each reads and writes its query string.

A view stores the query string its page would make itself from the parsed filters (bad values are
refused when saving, with the page's own 400 message), so an old view never carries junk along.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

IGNORED = ("page", "per_page", "after", "before", "view")  # where you are, not what you look at


@dataclass(frozen=True)
class ViewPage:
    key: str
    label: str
    endpoint: str
    normalise: Callable[[MultiDict], dict[str, Any]]  # raises BadRequest on a bad value


def _register(args: MultiDict) -> dict[str, Any]:
    from riskreg.risks.columns import column_args, parse_columns
    from riskreg.risks.filters import parse_risk_filters

    return parse_risk_filters(args).query_args() | column_args(parse_columns(args))


def _tracker(args: MultiDict) -> dict[str, Any]:
    from riskreg.controls.filters import parse_control_filters

    return parse_control_filters(args).query_args()


PAGES: dict[str, ViewPage] = {
    "register": ViewPage("register", _l("Risk register"), "risks.list", _register),
    "controls": ViewPage("controls", _l("Control tracker"), "controls.list", _tracker),
}


def normalised_query(page: ViewPage, query: str) -> str:
    """The page's own query string for `query` (a raw query string from the browser)."""
    pairs = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True) if key not in IGNORED]
    return urlencode(page.normalise(MultiDict(pairs)), doseq=True)
