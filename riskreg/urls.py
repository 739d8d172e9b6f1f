"""Links to many objects of one kind on a page (a register's rows): built once, then filled in."""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

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
