"""An executive asks "where is our exposure to communities?": one click on the dashboard's direction
toggle, then a click on a heatmap cell lands on exactly those risks in the register."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from riskreg.risks.models import Direction
from tests.browser.test_executive_journey import EXECUTIVE, click_cell, database_cells, drawn_counts, sized
from tests.browser.words import t

pytestmark = [pytest.mark.browser, pytest.mark.journey]


def test_the_direction_toggle_then_a_cell_lands_on_the_filtered_register(browsing, live_server, sign_in):
    page = browsing.page
    sign_in(page, EXECUTIVE)
    page.goto("/dashboard")
    toggle = page.get_by_role("navigation", name=t("Direction of the risks"))
    assert toggle.get_by_role("link").all_inner_texts() == [
        t("All"),
        t("To the company"),
        t("To communities"),
        t("To ASM"),
    ]
    with page.expect_navigation():
        toggle.get_by_role("link", name=t("To communities")).click()
    assert parse_qs(urlsplit(page.url).query) == {"direction": ["to_communities"]}
    assert toggle.locator('[aria-current="page"]').inner_text() == t("To communities")

    cells = database_cells(live_server, direction=Direction.TO_COMMUNITIES)
    assert cells, "the demo data has no open risk to communities"
    assert drawn_counts(page, "residual") == sized(cells)
    # the fullest cell: the one an executive's eye goes to first
    (likelihood, impact), refs = max(cells.items(), key=lambda item: (len(item[1]), item[0]))
    browsing.keep("dashboard-to-communities")

    click_cell(page, "residual", likelihood, impact)
    landed = urlsplit(page.url)
    assert landed.path == "/risks"
    assert parse_qs(landed.query) == {
        "direction": ["to_communities"],
        "status": ["open"],
        "likelihood": [str(likelihood)],
        "impact": [str(impact)],
    }
    shown = set(page.locator("table.register tbody td:first-child a").all_inner_texts())
    assert shown == refs
    assert browsing.offsite == [] and browsing.errors == []
