"""A site's key risk indicators as Chromium draws them: one chart per indicator, each with its
threshold bands (green, amber, red) and its line over 18 months, offline, without script errors; the
demo mine's influx indicator is red and its trigger waits for review."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.indicators.models import SiteIndicator, Status
from riskreg.sites.models import Site
from tests.browser.words import t

RISK_MANAGER = "risk@example.com"


def site_with_red_indicator(live_server) -> tuple[int, int, int]:
    """(site id, its number of indicators, red ones) for the demo site with most red indicators."""
    with live_server.session() as session:
        rows = session.execute(
            sa.select(
                Site.id,
                sa.func.count(SiteIndicator.id),
                sa.func.sum(sa.case((SiteIndicator.status == Status.RED, 1), else_=0)),
            )
            .join(SiteIndicator, SiteIndicator.site_id == Site.id)
            .group_by(Site.id)
            .order_by(sa.func.sum(sa.case((SiteIndicator.status == Status.RED, 1), else_=0)).desc())
        ).all()
    assert rows and rows[0][2] > 0, "the demo should cross a threshold at the on-site mine"
    return rows[0]


@pytest.mark.browser
@pytest.mark.journey
def test_a_sites_indicator_charts_draw_with_their_threshold_bands(browsing, live_server, sign_in):
    page = browsing.page
    site_id, indicators, red = site_with_red_indicator(live_server)
    sign_in(page, RISK_MANAGER)
    page.goto(f"{live_server.url}/sites/{site_id}#indicators")

    panel = page.locator("#indicators")
    expect(panel.get_by_role("heading", name=t("Key risk indicators"))).to_be_visible()
    charts = panel.locator(".kri-chart [data-figure]")
    expect(charts).to_have_count(indicators)
    page.wait_for_function(
        "n => document.querySelectorAll('#indicators [data-figure][data-drawn]').length === n", arg=indicators
    )
    for number in range(indicators):
        chart = charts.nth(number)
        # The threshold bands are shapes below the plot; the line is one scatter trace.
        assert chart.locator(".shapelayer path").count() >= 2
        assert chart.locator(".scatterlayer .trace").count() == 1
    assert panel.locator(".kri-chart figcaption .kri-red").count() == red
    expect(panel.get_by_role("heading", name=t("Triggers waiting for review"))).to_be_visible()
    browsing.keep("site-indicators")
    assert browsing.offsite == [], "the page asked for something on another host"
    assert browsing.errors == []
