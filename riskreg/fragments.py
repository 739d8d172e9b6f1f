"""Parts of a page that are the same on many requests, rendered once per what they show and kept
by the application: the top bar's menu is one of a few dozen variants (a language, a role, a
person, the page it marks as current), drawn on every page.

A template wraps the part in `{% call kept(*what_it_shows, fill=...) %}...{% endcall %}`, every
value the part reads in the key; its one value that differs per request (the sign-out form's CSRF
token) is written as `{{ SLOT }}` and filled in each time. The key is what the part shows, so a
renamed person or department is a new key, never a stale part.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import current_app
from markupsafe import Markup, escape

# Where the per-request value goes: markup no text can become (a person's "<" is written "&lt;").
SLOT = Markup("<riskreg-slot>")
_MOST = 2_000  # a bound: the keys hold people's names


def kept(*key: Hashable, fill: str = "", keep: bool = True, caller: Callable[[], str]) -> Markup:
    """The part for `key`, rendered by `caller` the first time (or every time when not `keep`),
    with SLOT replaced by `fill`, escaped."""
    if keep:
        parts: dict[tuple[Hashable, ...], str] = current_app.extensions.setdefault("riskreg.fragments", {})
        part = parts.get(key)
        if part is None:
            if len(parts) >= _MOST:
                parts.clear()
            part = parts[key] = str(caller())
    else:
        part = str(caller())
    return Markup(part.replace(SLOT, escape(fill)))  # noqa: S704 (rendered by the template, escaped)
