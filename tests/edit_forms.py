"""Open an edit page as a browser tab would: the form's fields with the values it shows (hidden
version and base included), ready to change and post back."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class FormReader(HTMLParser):
    """The successful controls of the page's forms: {name: value}, a list for a multiple select."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker, self.inside, self.done = marker, False, False
        self.values: dict[str, Any] = {}
        self.select: tuple[str, bool] | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and not self.done and self.marker in f"{a.get('class', '')} {a.get('action', '')}":
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "y")
            elif kind not in ("submit", "file", "button"):
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            multiple = "multiple" in a
            self.select = (name, multiple)
            self.values[name] = [] if multiple else ""
        elif tag == "option" and self.select and "selected" in a:
            name, multiple = self.select
            if multiple:
                self.values[name].append(a.get("value", ""))
            else:
                self.values[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.values[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # Browsers drop the one line break that may follow <textarea>.
            text = self.values[self.textarea]
            self.values[self.textarea] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_of(html: str, marker: str = "") -> dict[str, Any]:
    """The first form whose class or action contains `marker`, as a browser would post it."""
    reader = FormReader(marker)
    reader.feed(html)
    return reader.values


def opened(client: Any, url: str, marker: str = "") -> dict[str, Any]:
    """GET the edit page and read its form."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return form_of(response.get_data(as_text=True), marker)


def edited(client: Any, url: str, marker: str = "", **changes: Any) -> dict[str, Any]:
    """The edit page's form as opened now, with `changes` typed in."""
    return {**opened(client, url, marker), **changes}
