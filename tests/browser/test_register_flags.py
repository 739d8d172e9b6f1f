"""The register's review flags at a desktop's width: a reason of a paragraph (the demo's failed
verification and its immediate action) is cut to three lines in the narrow first column, and kept
whole in the page's text and the mark's title."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.site_pages import ROLE_USERS

pytestmark = pytest.mark.browser

MEASURE = """
() => [...document.querySelectorAll("table.register .review-flag-mark")].map(mark => ({
  height: mark.getBoundingClientRect().height,
  line: parseFloat(getComputedStyle(mark).lineHeight),
  text: mark.textContent.length,
  title: mark.title,
}))
"""


def test_a_long_flag_reason_takes_three_lines_and_stays_whole_in_the_text(
    page: Any, sign_in: Callable[[Any, str], None]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, ROLE_USERS["risk_manager"])
    page.goto("/risks?flagged=yes")
    marks = page.evaluate(MEASURE)
    longest = max(marks, key=lambda mark: mark["text"])
    assert longest["text"] > 300  # the demo's verification failure: a paragraph, not a word
    for mark in marks:
        assert mark["height"] <= 3 * mark["line"] + 6, mark  # three lines and the padding, at most
    assert len(longest["title"]) >= longest["text"] - len("Review: ") - 10  # every reason in the title
