"""The demo's grievances per month and category as Chromium draws them on /grievances and on the
dashboard: stacked bars from the figure JSON, drawn by the app's own script under the strict CSP,
the table kept for screen readers (and print)."""

from __future__ import annotations

import pytest

from tests.browser.words import t

EXECUTIVE = "exec@example.com"


@pytest.mark.browser
@pytest.mark.journey
@pytest.mark.parametrize("path", ["/grievances", "/dashboard"])
def test_the_grievances_per_month_chart_is_drawn_with_its_table(browsing, live_server, sign_in, path):
    page = browsing.page
    sign_in(page, EXECUTIVE)
    page.goto(f"{live_server.url}{path}")
    figure = page.locator("figure.grievances-per-month")
    page.wait_for_function(
        "() => document.querySelector('figure.grievances-per-month [data-figure][data-drawn]') !== null"
    )
    categories = figure.locator("table.per-month thead th").count() - 2  # less Month and Total
    assert categories > 0
    assert figure.locator(".barlayer .trace").count() == categories  # one stacked series per category
    assert figure.locator(".legendtext").count() == categories
    assert "charted" in (figure.get_attribute("class") or "")
    assert figure.locator("table.per-month caption").inner_text() == t("Received per month and category")
    browsing.keep(f"grievances-chart{path.replace('/', '-')}")
    assert browsing.offsite == [], "the page asked for something on another host"
    assert browsing.errors == []
