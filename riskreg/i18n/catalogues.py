"""How the catalogues are made: one home for the extraction's options, used by `make messages` and by
tests/test_translations.py (which fails when the committed template catalogue is stale).

`python -m riskreg.i18n.catalogues` lists the enum labels (riskreg/i18n/enum_labels.py), extracts
every marked string into riskreg/translations/messages.pot and updates each language's catalogue.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from riskreg.config import ROOT
from riskreg.i18n.languages import LANGUAGES

TRANSLATIONS = ROOT / "riskreg" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "N_")
# Babel skips folders starting with "_" by default, which would leave out templates/_macros.
IGNORE_DIRS = ".*"


def extract_arguments(output: Path) -> list[str]:
    """pybabel's arguments to extract every marked string (run from the project's root)."""
    command = ["extract", "-F", str(ROOT / "babel.cfg")]
    for keyword in KEYWORDS:
        command += ["-k", keyword]
    command += [f"--ignore-dirs={IGNORE_DIRS}", "--no-location", "--sort-output", "--project", "riskreg"]
    command += ["--copyright-holder", "riskreg contributors", "-o", str(output), str(ROOT)]
    return command


def update_arguments(locale: str) -> list[str]:
    verb = "update" if (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").exists() else "init"
    command = [verb, "-i", str(TEMPLATE)]
    command += ["-d", str(TRANSLATIONS), "-l", locale]
    return command + (["--no-fuzzy-matching"] if verb == "update" else [])


def main() -> None:
    from riskreg.modeling import write_enum_labels

    write_enum_labels()
    pybabel(extract_arguments(TEMPLATE))
    for locale in LANGUAGES:
        if locale != "en":
            pybabel(update_arguments(locale))


def pybabel(arguments: list[str]) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])


if __name__ == "__main__":
    main()
