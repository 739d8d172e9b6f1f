"""The workbook's words in every language riskreg speaks: one home for the export and the import.

The export writes sheet names, headers and choice labels in the language of whoever asked for it
(under flask_babel.force_locale for a background job); the import recognises them in any language,
so a workbook exported in Portuguese imports back unchanged for an English user. Every lookup here
is built from the English msgids with gettext under force_locale for each language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import has_app_context
from flask_babel.speaklater import LazyString

from riskreg.i18n import N_, gettext, in_every_language, language, languages  # noqa: F401 (the workbook's names for them)

T = TypeVar("T")
SHEET_NAME_LIMIT = 31  # Excel's limit on a sheet's name
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


# The workbook's own sheets (other parts' sheets name themselves).
REGISTER = N_("Register")
CONTROLS = N_("Controls")
HEATMAP = N_("Heatmap")
SITES = N_("Sites")
LEGEND = N_("Legend")
COVERAGE = N_("Coverage")
DISCLOSURE = N_("ASM disclosure")
YES, NO = N_("Yes"), N_("No")
CORPORATE = N_("Corporate")  # the Site cell of a risk tied to no single site


def plain(value: Any) -> Any:
    """A LazyString (or any str subclass) as a plain str: openpyxl cells take plain values only."""
    if isinstance(value, str):
        return str(value) if type(value) is not str else value
    if isinstance(value, LazyString):
        return str(value)
    return value


def plain_row(values: Iterable[Any]) -> list[Any]:
    """A row with any LazyString made a plain str (a sheet of another part may hand one in)."""
    return [str(value) if type(value) is LazyString else value for value in values]


def words(msgid: str) -> str:
    """`msgid` in the current language, as a plain str (an empty one stays empty: gettext("") is
    the catalogue's header)."""
    return str(gettext(msgid)) if msgid else msgid


def sheet_name(msgid: str) -> str:
    """A sheet's name in the current language; the English one when a translation would not be a
    valid Excel sheet name (over 31 characters, or one of []:*?/\\)."""
    name = words(msgid).strip()
    if not name or len(name) > SHEET_NAME_LIMIT or NOT_IN_SHEET_NAMES.search(name):
        return msgid
    return name


def quoted_sheet(name: str) -> str:
    """A sheet's name as a formula writes it: quoted unless it is a plain word ("Legend")."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def norm(text: Any) -> str:
    """How a header or a choice is compared: case, underscores and runs of spaces do not matter."""
    return " ".join(str(text).replace("_", " ").split()).casefold()


def lookup(pairs: Callable[[], Iterator[tuple[str, T]]]) -> dict[str, T]:
    """{normalised word: value} over every language; a word keeps the meaning of the language
    tried first (the current one, then English)."""
    found: dict[str, T] = {}
    for made in in_every_language(lambda: list(pairs())):
        for text, value in made:
            found.setdefault(norm(text), value)
    return found


def word_lookup(*msgids: str) -> dict[str, str]:
    """{normalised word in any language: its English msgid}."""
    return lookup(lambda: ((words(msgid), msgid) for msgid in msgids))


def sheet_names(msgid: str) -> set[str]:
    """The names a sheet may have in a workbook exported in any language, normalised."""
    return {norm(name) for name in in_every_language(lambda: sheet_name(msgid))} | {norm(msgid)}


def enum_label(member: Any) -> str:
    """A LabelledEnum member's label in the current language (`.label` is translated centrally;
    gettext on top of it finds the catalogue's words for an English label)."""
    return words(str(member.label))


_ENUM_LOOKUPS: dict[tuple[Any, tuple[str, ...]], dict[str, Any]] = {}


def enum_lookup(enum_cls: Any) -> dict[str, Any]:
    """{label in any language, normalised: member}; also the stored value and its spaced form.

    Asked once per cell by the import: kept per enum and order of languages (the catalogues do not
    change while riskreg runs), once an application gives the catalogues."""
    order = tuple(languages())
    cached = _ENUM_LOOKUPS.get((enum_cls, order))
    if cached is not None:
        return cached
    found = lookup(lambda: ((enum_label(member), member) for member in enum_cls))
    for member in enum_cls:
        found.setdefault(norm(member.value), member)
    if has_app_context():
        _ENUM_LOOKUPS[enum_cls, order] = found
    return found


def category_lookup(categories: list[str]) -> dict[str, str]:
    """{category in any language, normalised: the taxonomy's (English) category}."""
    from riskreg.i18n.reference import translate

    return lookup(lambda: ((str(translate(category) or category), category) for category in categories))
