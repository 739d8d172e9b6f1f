"""What a browser posts when someone submits a page's form without touching it.

Used to check that a form pre-selects no judgement: a select with no option marked `selected`
sends its first option, exactly as Chromium and Firefox do, so a preset answer shows up here.
"""

from __future__ import annotations

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

TEXT_INPUTS = {"text", "hidden", "date", "number", "email", "search", "url", "tel", "password", ""}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._fields = []
            return
        if self._fields is None or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "").lower()
            if kind in TEXT_INPUTS:
                self._fields.append((a["name"], a.get("value", "")))
            elif kind in ("checkbox", "radio") and "checked" in a:
                self._fields.append((a["name"], a.get("value", "on")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._select["options"].append({"value": a.get("value"), "selected": "selected" in a, "text": ""})
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._select is not None and self._select["options"]:
            self._select["options"][-1]["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._fields is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and options and not self._select["multiple"]:
                chosen = options[:1]  # a single select with nothing selected sends its first option
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self._fields.append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._fields is not None:
            self._fields.append((self._textarea["name"], self._textarea["text"].removeprefix("\n")))
            self._textarea = None
        elif tag == "form" and self._fields is not None:
            self.forms.append(self._fields)
            self._fields = None


def untouched_form(html: str, field: str) -> dict[str, str | list[str]]:
    """The post of the page's form that has a control named `field`, as a browser would send it
    (a name sent several times maps to the list of its values)."""
    parser = _Forms()
    parser.feed(html)
    for fields in parser.forms:
        if any(name == field for name, _ in fields):
            sent = MultiDict(fields)
            return {name: values[0] if len(values) == 1 else values for name, values in sent.lists()}
    raise AssertionError(f"no form on the page has a field named {field!r}")
