"""The catalogues are complete and safe: every string the code and templates mark is in the template
catalogue, translated in French, Spanish and Portuguese, with the same placeholders as the English.

A broken placeholder fails here, never at run time (`make messages` extracts again)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from riskreg.config import ROOT
from riskreg.i18n.catalogues import extract_arguments
from riskreg.i18n.languages import LANGUAGES

TRANSLATIONS = ROOT / "riskreg" / "translations"
TRANSLATED = [code for code in LANGUAGES if code != "en"]
# %(name)s, %s, %d, and {name} / {0}: what str % and str.format (and Jinja's trans) substitute.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdifr]|%[sdifr]|\{[\w.]*\}")


def catalogue(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def key(message) -> str:
    """A message's id; a plural message is known by its singular."""
    return message.id if isinstance(message.id, str) else message.id[0]


def ids(messages: Catalog) -> set[str]:
    return {key(message) for message in messages if message.id}


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_template_catalogue_holds_every_marked_string(tmp_path):
    fresh = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", *extract_arguments(fresh)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    committed = ids(catalogue(TRANSLATIONS / "messages.pot"))
    marked = ids(catalogue(fresh))
    assert marked, "nothing was extracted: babel.cfg does not reach the sources"
    assert marked == committed, (
        f"run `make messages`: new {sorted(marked - committed)[:20]}, gone {sorted(committed - marked)[:20]}"
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(locale):
    template = ids(catalogue(TRANSLATIONS / "messages.pot"))
    messages = catalogue(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    missing, fuzzy, broken = [], [], []
    found = {key(message): message for message in messages if message.id}
    for msgid in sorted(template):
        message = found.get(msgid)
        if message is None:
            missing.append(msgid)
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(strings):
            missing.append(msgid)
            continue
        if message.fuzzy:
            fuzzy.append(msgid)
        originals = [message.id] if isinstance(message.id, str) else list(message.id)
        expected = placeholders(originals[-1])
        if any(placeholders(text) != expected for text in strings):
            broken.append(f"{msgid!r} -> {strings!r}")
    assert not missing, f"{locale}: {len(missing)} of {len(template)} untranslated, e.g. {missing[:10]}"
    assert not fuzzy, f"{locale}: fuzzy (unchecked) translations {fuzzy[:10]}"
    assert not broken, f"{locale}: placeholders differ from the English: {broken[:10]}"


@pytest.mark.parametrize(
    ("original", "translation", "same"),
    [
        ("%(count)s risks", "%(count)s risques", True),
        ("%(count)s risks", "%(nombre)s risques", False),
        ("{ref} of {site}", "{site} : {ref}", True),
        ("{ref} of {site}", "{ref} de", False),
    ],
)
def test_the_placeholder_check_tells_a_broken_translation(original, translation, same):
    assert (placeholders(original) == placeholders(translation)) is same
