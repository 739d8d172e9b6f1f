"""Reference data in other languages: seeds/<name>.<lang>.toml beside each English seeds/<name>.toml.

A translation file mirrors its English file, keeping each entry's key (a band's `key`, a level's
`value`, a template's `code`, a requirement's `code`, an indicator's `id`) and only the fields people
read. `texts(name, document)` flattens either file
into {path: text}, e.g. `templates[A01].causes[2]` or `likelihood[3].definition`, so a
translation is complete exactly when it has every path of the English with a text of its own.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app

from riskreg.i18n import current_language

# Per file: (list of tables, the field that keys an entry, the fields translated). A field ending
# in "[]" is a list of texts, ".*" a table of texts, and "x[].y" field y of each table of list x.
ENTRIES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "matrix": [
        ("bands", "key", ("label", "tolerability", "response")),
        ("likelihood", "value", ("label", "definition", "frequency")),
        ("impact", "value", ("label", "areas.*")),
    ],
    "risk_templates": [
        (
            "templates",
            "code",
            (
                "title",
                "description",
                "cause",
                "causes[]",
                "consequence",
                "consequences[]",
                "controls[].title",
                "standard_refs",
            ),
        ),
    ],
    "standards": [
        ("frameworks", "key", ("name",)),
        ("requirements", "code", ("framework", "edition", "title", "summary", "audit_evidence", "scope")),
    ],
    "indicators": [("indicators", "id", ("label", "unit", "description"))],
}
# Files whose texts are not keyed entries: the matrix's preset descriptions and the categories.
NAMES = (*ENTRIES, "taxonomy")


def seeds_path(seeds_dir: Path, name: str, lang: str | None = None) -> Path:
    return seeds_dir / (f"{name}.toml" if lang in (None, "en") else f"{name}.{lang}.toml")


def load(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def texts(name: str, document: dict[str, Any], english: dict[str, Any] | None = None) -> dict[str, str]:
    """{path: text} of the translated fields of one seeds file (English or a translation).

    The categories are a list in English and a table {English: translation} in a translation file;
    pass the English document as `english` when flattening a translation."""
    if name == "taxonomy":
        if english is None:
            return {f"categories[{category}]": category for category in document.get("categories", [])}
        return {f"categories[{key}]": value for key, value in document.get("categories", {}).items()}
    found = dict(_entries(name, document))
    if name == "matrix":
        for preset, settings in document.get("presets", {}).items():
            if "description" in settings:
                found[f"presets[{preset}].description"] = settings["description"]
    return found


def _entries(name: str, document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for table, key_field, fields in ENTRIES[name]:
        for entry in document.get(table, []):
            prefix = f"{table}[{entry.get(key_field)}]"
            for field in fields:
                yield from _field(prefix, entry, field)


def _field(prefix: str, entry: dict[str, Any], field: str) -> Iterator[tuple[str, str]]:
    if "[]." in field:
        items, inner = field.split("[].")
        for number, item in enumerate(entry.get(items, [])):
            if item.get(inner):
                yield f"{prefix}.{items}[{number}].{inner}", item[inner]
    elif field.endswith("[]"):
        for number, text in enumerate(entry.get(field[:-2], [])):
            yield f"{prefix}.{field[:-2]}[{number}]", text
    elif field.endswith(".*"):
        for key, text in entry.get(field[:-2], {}).items():
            yield f"{prefix}.{field[:-2]}.{key}", text
    elif entry.get(field):
        yield f"{prefix}.{field}", entry[field]


@cache
def words(seeds_dir: Path, lang: str) -> dict[str, str]:
    """{English text: its translation in `lang`} over every reference file: what the pages show
    for a stored reference text (a band's label, a category, a template's cause, ...)."""
    found: dict[str, str] = {}
    for name in NAMES:
        translated_path = seeds_path(seeds_dir, name, lang)
        if lang == "en" or not translated_path.exists():
            continue
        english = load(seeds_path(seeds_dir, name))
        english_texts = texts(name, english)
        for path, text in texts(name, load(translated_path), english).items():
            source = english_texts.get(path)
            if source and text:
                found.setdefault(source.strip(), text)
    return found


def translate(text: str | None) -> str | None:
    """A stored reference text in the language of the request: its translation while it is still
    the seed's English; a text the company has since edited is shown as stored."""
    if not text:
        return text
    lang = current_language()
    if lang == "en":
        return text
    return _words_here(current_app.config["SEEDS_DIR"], lang).get(text.strip(), text)


@cache
def _words_here(seeds_dir: str | Path, lang: str) -> dict[str, str]:
    """words() for the configured seeds folder as the config holds it (a page asks per row)."""
    return words(Path(seeds_dir), lang)
