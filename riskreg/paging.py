"""Page arithmetic shared by the paginated lists (the register, the control tracker), and the links
of their rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for

# Stands for the id while the URL is built; no route of riskreg has a number this long in its rule.
_MARK = "918273645546372819"


def id_url(endpoint: str, name: str, **values: Any) -> Callable[[int], str]:
    """url_for(endpoint, name=id, **values) for the many ids of a list: the URL is built once with a
    placeholder and each id put in its place (url_for costs ~20 µs a call, and a list page of 50
    rows links each row, its risks and its forms)."""
    head, mark, tail = url_for(endpoint, **{name: int(_MARK)}, **values).partition(_MARK)
    if not mark:  # the id is not written as it was given (a converter of its own): build each URL
        return lambda value: url_for(endpoint, **{name: value}, **values)
    return lambda value: f"{head}{value}{tail}"


class PageNumbers:
    """For a dataclass with `total`, `page` and `per_page` fields: how many pages, and neighbours."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
