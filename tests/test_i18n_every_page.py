"""Every page, for each role, in French, Spanish and Portuguese, has no English left in its UI.

The walk takes every HTML page of the URL map (tests/browser/site_pages.py: a page added later is
walked too) over the demo data, signed in as each role, and reads what a person reads: the text
and the attributes people see or hear (title, placeholder, aria-label, alt, data-label, button
values). People's own words are not UI: every text stored in the database's non-reference tables
(risk titles, names, comments, audited values, ...) is taken out first. What is left fails on any
common English word, unless it is a name, a code or the brand (`ALLOWED`).

The reference tables (matrix, categories, templates, requirements, indicators) are not taken
out: their texts must show translated (seeds/<name>.<lang>.toml).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask

from riskreg.extensions import db
from tests.browser.site_pages import ROLE_USERS, add_missing_objects, site_pages
from tests.conftest import running_app

DEMO_PASSWORD = "riskreg-demo-2026"
LANGUAGES = ("fr", "es", "pt")

# Common English words that are not also French, Spanish or Portuguese words: "on", "or", "no",
# "once", "page", "plan", "site", "date", "mine", "file", "minute", "engagement", "certain",
# "possible", "rare", "standard", "artisanal", "residual", "control", "error", "effective",
# "change", "close" ("close": closed, of a grievance), "due", "export", "report", "total", "score",
# "impact", "for" (Portuguese), "may" and "ago" (Spanish months) are left out for that reason.
ENGLISH = frozenset(
    """
    the and with this that these those from your you are is was were has have had not
    been being will would should could can cannot must might shall there their they them
    what which who whom whose when where why how all any each every none some other than then
    into onto about after before above below between under over again only also just
    very more most less least many much few such own same too yes
    new edit save saved delete deleted cancel add added remove removed opened closed
    show hide back next previous first last search filter filters upload download
    sign signed here view views select selected choose clear apply submit send sent
    create created update updated changed changes history
    risk risks controls owner owners department departments user users role roles
    review reviews reviewed overdue today yesterday tomorrow week weeks month months
    year years day days hour hours never always nothing something everything
    name title level levels likelihood band bands rating
    evidence verify verified approve approved approval reject rejected request
    requested accept accepted acceptance expired pending done completed
    grievance grievances complaint stakeholder stakeholders planned
    indicator indicators trigger triggers triggered flag flagged raised
    reports requirement requirements coverage covered
    dashboard register heatmap settings password account language help failed
    mining miners small scale field forms workbook sheet
    rows row column columns values empty required errors warning
    left right top bottom high low medium moderate unlikely likely almost
    minor major severe insignificant
    """.split()
)
# Names of others' products and standards that stay in English in every language.
ALLOWED_PHRASES = (
    "The Copper Mark",
    "Risk Readiness Assessment",
    "Initiative for Responsible Mining Assurance",
    "Responsible Mining Index",
    "Responsible Mining Foundation",
    "ICMM Working Together",
    "RAP for ASM miners",
    "RAP for ASM",
    "1Password",
    "Submissions > Download",
)
# Names, codes and the brand that stay as they are in every language.
ALLOWED = frozenset(
    {"riskreg", "ASM", "GRI", "IRMA", "RJC", "OECD", "RMI", "Copper", "Mark", "XLSForm", "ODK"}
)

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # letters of any script: "échanges" is one word
PIECES = re.compile(r"\s[·—|]\s|…|\.\.\.")
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-label", "aria-description")
# Tables whose texts are reference data (translated in seeds/) or not text people wrote.
REFERENCE_TABLES = {
    "matrix_bands",
    "matrix_levels",
    "risk_templates",
    "template_controls",
    "requirements",
    "frameworks",
    "indicator_definitions",
    "categories",
    "alembic_version",
    "test_schema_fingerprint",
}


class ShownText(HTMLParser):
    """The texts a person reads or hears on a page, outside <script>, <style> and <template>."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        found = dict(attrs)
        for name in SHOWN_ATTRIBUTES:
            if found.get(name):
                self.texts.append(found[name] or "")
        if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
            self.texts.append(found["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data)


def shown_texts(html: str) -> list[str]:
    parser = ShownText()
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.texts]


def stored_texts() -> list[str]:
    """Every text people stored (outside the reference tables), longest first, so that a longer
    text is taken out before a shorter one inside it."""
    found: set[str] = set()
    engine = db.engine
    inspector = sa.inspect(engine)
    for table_name in inspector.get_table_names():
        if table_name in REFERENCE_TABLES:
            continue
        table = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        if not columns:
            continue
        with engine.connect() as connection:
            for row in connection.execute(sa.select(*columns)):
                for value in row:
                    found.update(_strings(value))
    return sorted((" ".join(text.split()) for text in found if len(text.strip()) > 1), key=len, reverse=True)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        if value[:1] in "[{":
            try:
                yield from _strings(json.loads(value))
            except ValueError:
                pass
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def english_words(text: str, stored: list[str]) -> list[str]:
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    # A piece that is people's own text, or part of one (a title cut short with "…", wrapped over
    # the lines of a drawing), then people's texts inside what is left.
    pieces = [piece.strip(" ,;:") for piece in PIECES.split(text)]
    text = " ".join(piece for piece in pieces if len(piece) < 8 or not any(piece in own for own in stored))
    for own in stored:
        if own in text:
            text = text.replace(own, " ")
    # An all-capitals word is a code or an acronym, not a sentence's word.
    return [w for w in WORD.findall(text) if w.lower() in ENGLISH and w not in ALLOWED and not w.isupper()]


@pytest.fixture(scope="module")
def walk_app(tmp_path_factory) -> Iterator[Flask]:
    for app in running_app(tmp_path_factory.mktemp("walk")):
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code == 0, result.output
        db.session.commit()
        add_missing_objects(app)
        yield app


@pytest.fixture(scope="module")
def walk_data(walk_app) -> tuple[list, list[str]]:
    pages, _missing = site_pages(walk_app, db.session)
    return pages, stored_texts()


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_is_left_on_any_page(walk_app, walk_data, role, lang):
    pages, stored = walk_data
    client = walk_app.test_client()
    signed_in = client.post("/login", data={"email": ROLE_USERS[role], "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    client.get(f"/me?lang={lang}")
    walked = 0
    left: list[str] = []
    for page in pages:
        response = client.get(page.path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue  # not this role's page (its permissions are tested elsewhere)
        walked += 1
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html, page.path
        for text in shown_texts(html):
            words = english_words(text, stored)
            if words:
                left.append(f"{page.path}: {', '.join(sorted(set(words)))} in {text[:120]!r}")
    assert walked > 10, f"only {walked} pages answered for {role}"
    assert not left, f"{len(left)} English texts left for {role} in {lang}:\n" + "\n".join(left[:200])
