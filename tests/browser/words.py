"""The words a journey looks for, in the language the journey runs in.

Each journey runs in English and once more in French (`journey_language` in conftest.py): it finds
its labels, buttons and messages by `t("Sign in")`, which is the catalogue's translation of that
message id in the journey's language, so one journey proves the page in both. People's own data
(site, department and user names, risk titles) is written as it is stored; reference texts
(categories, matrix levels) go through `ref()`, as the pages show them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from babel.support import Translations

from riskreg.config import ROOT
from riskreg.i18n.reference import words as reference_words

TRANSLATIONS = ROOT / "riskreg" / "translations"
language = "en"  # set by the `browsing` fixture for the journey it opens


def use(code: str) -> None:
    global language
    language = code


@cache
def catalogue(code: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [code], domain="messages")


def t(message: str, **params: Any) -> str:
    """The message as the page shows it in the journey's language (named placeholders filled)."""
    text = message if language == "en" else catalogue(language).gettext(message)
    return text % params if params else text


def tn(singular: str, plural: str, number: int, **params: Any) -> str:
    text = (
        catalogue(language).ngettext(singular, plural, number)
        if language != "en"
        else (singular if number == 1 else plural)
    )
    return text % {"num": number, **params}


def ref(text: str) -> str:
    """A reference text (a category, a matrix level, a template's title) as the pages show it."""
    if language == "en":
        return text
    return reference_words(ROOT / "seeds", language).get(text, text)


def has(fragment: str) -> re.Pattern[str]:
    """A pattern for a message the page shows, given a fragment of its English (for
    to_contain_text/has_text): in another language, the translation of the shortest message id
    holding the fragment, its placeholders (the ref, a name) matching anything."""
    # The shortest message holding the fragment: "mitigates %(refs)s" rather than a sentence about it.
    holders = [] if language == "en" else sorted((s for s in messages(language) if fragment in s), key=len)
    if not holders:  # no such message: the English (a page never shows it)
        return re.compile(".*?".join(re.escape(piece) for piece in PLACEHOLDER.split(fragment)))
    shown = re.sub(r"<[^>]+>", "", messages(language)[holders[0]])  # the page's text has no tags
    pieces = PLACEHOLDER.split(shown)
    return re.compile(".*?".join(re.escape(piece) for piece in pieces))


PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]")


@cache
def messages(code: str) -> dict[str, str]:
    """{English message id: its translation} of the language's catalogue (singular forms)."""
    from babel.messages.pofile import read_po

    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        found = {}
        for message in read_po(handle):
            if message.id and message.string:
                source = message.id if isinstance(message.id, str) else message.id[0]
                found[source] = message.string if isinstance(message.string, str) else message.string[0]
        return found


def day(value: Any) -> str:
    """A date as the pages show it (the `day` filter: ISO in English, Babel's medium format else)."""
    from babel.dates import format_date

    return value.isoformat() if language == "en" else format_date(value, "medium", locale=language)


def own(text: str) -> str:
    """A text the journey writes itself, marked with the language of the run: the French run of a
    journey makes its own risk beside the English run's, in the one live database they share."""
    return text if language == "en" else f"{text} ({language})"


def enum_label(member: Any) -> str:
    """An enum member's label as the pages show it (its enum names the catalogue's msgctxt)."""
    if language == "en":
        return member.english_label
    return catalogue(language).pgettext(member.label_context(), member.english_label)
