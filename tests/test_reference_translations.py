"""The reference data (matrix levels, categories, risk templates, requirements, indicators) is
translated in French, Spanish and Portuguese, in seeds/<name>.<lang>.toml beside the English: every
text of the English has its translation, no translation names an entry the English lacks, and no
translation is left in English."""

from __future__ import annotations

import re

import pytest

from riskreg.config import ROOT
from riskreg.i18n import reference
from riskreg.i18n.languages import LANGUAGES

SEEDS = ROOT / "seeds"
TRANSLATED = [code for code in LANGUAGES if code != "en"]
# Texts that stay the same in every language: codes, names of standards and units.
SAME_EVERYWHERE_MAX_WORDS = 3
PROSE_WORD = re.compile(r"\b[a-z]{3,}\b")  # a lowercase word: codes and names have few


def english(name: str) -> dict[str, str]:
    return reference.texts(name, reference.load(reference.seeds_path(SEEDS, name)))


def translated(name: str, lang: str) -> dict[str, str]:
    source = reference.load(reference.seeds_path(SEEDS, name))
    return reference.texts(name, reference.load(reference.seeds_path(SEEDS, name, lang)), english=source)


@pytest.mark.parametrize("name", reference.NAMES)
def test_the_english_reference_data_has_texts_to_translate(name):
    assert len(english(name)) >= 5


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("name", reference.NAMES)
def test_every_reference_text_is_translated(name, lang):
    source, target = english(name), translated(name, lang)
    missing = sorted(set(source) - set(target))
    extra = sorted(set(target) - set(source))
    empty = sorted(path for path, text in target.items() if not str(text).strip())
    assert not missing, f"{name}.{lang}.toml lacks {len(missing)} of {len(source)} texts, e.g. {missing[:5]}"
    assert not extra, f"{name}.{lang}.toml has texts the English lacks: {extra[:5]}"
    assert not empty, f"{name}.{lang}.toml has empty texts: {empty[:5]}"
    # A text identical to the English is left untranslated, unless it is a short name or codes
    # ("IRMA 3.6; IFC PS5; ICMM Working Together": few words of prose).
    unchanged = sorted(
        path
        for path, text in target.items()
        if text == source[path] and len(PROSE_WORD.findall(text)) > SAME_EVERYWHERE_MAX_WORDS
    )
    assert not unchanged, f"{name}.{lang}.toml leaves English in {unchanged[:5]}"


def test_the_flattening_keys_entries_and_list_items():
    document = {
        "templates": [
            {
                "code": "A01",
                "title": "T",
                "causes": ["a", "b"],
                "controls": [{"title": "c", "role": "preventive"}],
            }
        ]
    }
    assert reference.texts("risk_templates", document) == {
        "templates[A01].title": "T",
        "templates[A01].causes[0]": "a",
        "templates[A01].causes[1]": "b",
        "templates[A01].controls[0].title": "c",
    }
