"""A new user sets Portuguese, walks the register, a risk, My controls, the dashboard with its charts
drawn, the import preview and the disclosure report without an English word; exports the workbook
in Portuguese and imports it back unchanged.

What the browser shows is read after the scripts ran (the charts' SVG texts included) and judged
as the page walk judges it (tests/test_i18n_every_page.py): people's own stored words aside, no
common English word is left.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.auth.models import User
from riskreg.risks.models import Risk, RiskStatus
from tests.browser import words
from tests.test_i18n_every_page import english_words, stored_texts

pytestmark = pytest.mark.browser

RISK_MANAGER = "risk@example.com"
SECURITY_HEAD = "security.head@example.com"

# Every text node of the page (SVG's too) and the attributes people see or hear, as the browser has it.
SHOWN_JS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('script, style, template, noscript')) continue;
    if (node.textContent.trim()) texts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt], [data-label]')) {
    for (const name of ['title', 'placeholder', 'aria-label', 'alt', 'data-label']) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts.map(text => text.replace(/\\s+/g, ' ').trim());
}"""


def english_left(page, stored: list[str]) -> list[str]:
    return [text for text in page.evaluate(SHOWN_JS) if english_words(text, stored)]


def choose_portuguese(page) -> None:
    page.goto("/me/settings")
    form = page.locator("form", has=page.locator("select[name='locale']"))
    form.locator("select[name='locale']").select_option("pt")
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    expect(page.locator("html")).to_have_attribute("lang", "pt")


def all_charts_drawn(page) -> None:
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-figure]')].every(f => f.hasAttribute('data-drawn'))"
    )


@pytest.fixture
def in_portuguese(live_server):
    """The two users' own setting is put back afterwards: the other journeys share the live database."""
    yield
    words.use("en")
    with live_server.session() as session:
        session.execute(
            sa.update(User).where(User.email.in_([RISK_MANAGER, SECURITY_HEAD])).values(locale=None)
        )
        session.commit()


def test_a_portuguese_user_reads_every_page_exports_and_imports_back_unchanged(
    browsing, live_server, sign_in, tmp_path: Path, in_portuguese
):
    page = browsing.page
    with live_server.app.app_context():
        stored = stored_texts()
    with live_server.session() as session:
        risk_id = session.scalar(
            sa.select(Risk.id).where(Risk.status == RiskStatus.OPEN).order_by(Risk.id).limit(1)
        )

    sign_in(page, RISK_MANAGER)  # the sign-in page speaks the browser's English
    choose_portuguese(page)
    words.use("pt")
    left: dict[str, list[str]] = {}
    for path in ("/risks", f"/risks/{risk_id}", "/dashboard", "/import", "/reports/asm-disclosure"):
        page.goto(path)
        if path == "/dashboard":
            all_charts_drawn(page)
        left[path] = english_left(page, stored)
        browsing.keep(f"pt{path.replace('/', '-')}")

    # The workbook, in Portuguese, and back in: the preview finds nothing to change.
    page.goto("/risks")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=words.t("Export to Excel")).click()
    workbook_path = tmp_path / "registo.xlsx"
    download_info.value.save_as(workbook_path)
    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    try:
        sheet_names = workbook.sheetnames
        headers = next(workbook[words.t("Register")].iter_rows(max_row=1, values_only=True))
    finally:
        workbook.close()
    assert words.t("Register") != "Register" and words.t("Register") in sheet_names
    assert words.t("Title") in headers and "Title" not in headers

    page.goto("/import")
    page.locator("input[type='file']").set_input_files(workbook_path)
    with page.expect_navigation():
        page.locator("main form button[type='submit']").click()
    counts = page.locator("ul.import-summary strong").all_inner_texts()
    creates, changes, _unchanged, problems = (int(count) for count in counts)
    assert (creates, changes, problems) == (0, 0, 0), page.locator("main").inner_text()[:2000]
    left["/import (preview)"] = english_left(page, stored)
    browsing.keep("pt-import-preview")

    # My controls, as the head of a department who also reads Portuguese.
    page.context.clear_cookies()
    words.use("en")
    sign_in(page, SECURITY_HEAD)
    choose_portuguese(page)
    words.use("pt")
    page.goto("/controls/mine")
    left["/controls/mine"] = english_left(page, stored)
    browsing.keep("pt-controls-mine")

    found = {path: texts for path, texts in left.items() if texts}
    assert not found, "English left:\n" + "\n".join(f"{p}: {t[:20]}" for p, t in found.items())
    assert browsing.offsite == [] and browsing.errors == []
