"""Links to many objects of one kind on a page (a register's rows, a count table's cells): built
once, then filled in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import request, url_for
from werkzeug.datastructures import iter_multi_items

# An id no object has: where it lands in the built URL is where each row's id goes.
_MARKER = 987_654_321_987


def id_url(endpoint: str, key: str, **values: object) -> Callable[[int], str]:
    """url_for(endpoint, key=<id>, **values) for any id, with the URL built once: the rule's other
    parts cannot depend on an integer id, so the one build is the same as building each."""
    built = url_for(endpoint, **values, **{key: _MARKER})
    head, found, tail = built.partition(str(_MARKER))
    if not found:  # the id is not in the URL as written (a converter that reshapes it): build each
        return lambda object_id: url_for(endpoint, **values, **{key: object_id})
    return lambda object_id: f"{head}{int(object_id)}{tail}"


# What Werkzeug leaves unencoded in a query string (https://url.spec.whatwg.org/#percent-encoded-bytes)
_QUERY_SAFE = "!$'()*,/:;?@"


def query_url(endpoint: str, **values: object) -> Callable[[Mapping[str, Any]], str]:
    """url_for(endpoint, **values, **args) for many query strings on one page (a count table's
    cells): the path is built once and each query string appended as Werkzeug writes it (None
    left out, a list repeated, the order given), each key=value pair encoded once per page."""
    base = url_for(endpoint, **values)
    joiner = "&" if "?" in base else "?"
    encoded: dict[tuple[str, type, Any], str] = {}  # the type too: True == 1, "True" is not "1"

    def pair(key: str, value: Any) -> str:
        try:
            return encoded[key, type(value), value]
        except KeyError:
            text = encoded[key, type(value), value] = urlencode(((key, value),), safe=_QUERY_SAFE)
            return text

    def build(args: Mapping[str, Any]) -> str:
        query = "&".join([pair(*item) for item in iter_multi_items(args) if item[1] is not None])
        return f"{base}{joiner}{query}" if query else base

    return build


_FIXED: dict[tuple[str, str, tuple[tuple[str, Any], ...]], str] = {}
_FIXED_MOST = 2_000  # a bound: the script root comes from the request (a proxy's prefix header)


def fixed_url(endpoint: str, **values: Any) -> str:
    """url_for for a link that is the same on every page (the menu, the style sheets, the icons):
    built once per process and script root. A URL without an id or a query depends on nothing
    else (the assets' content hashes are fixed for the process)."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    found = _FIXED.get(key)
    if found is None:
        if len(_FIXED) >= _FIXED_MOST:
            _FIXED.clear()
        found = _FIXED[key] = url_for(endpoint, **values)
    return found
