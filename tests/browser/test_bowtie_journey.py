"""The bowtie in Chromium: the demo's worst risk opened from its page, the server-drawn SVG shown
with its table (screenshot in tests/artifacts/bowtie.png), and axe-core's checks passed on it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from riskreg.risks.models import Risk
from tests.browser.words import has, t

pytestmark = [pytest.mark.browser, pytest.mark.journey]

EXECUTIVE = "exec@example.com"


def test_the_bowtie_renders_and_passes_axe(live_server, browsing, page, sign_in):
    with live_server.session() as session:
        risk_id, ref = session.execute(
            sa.select(Risk.id, Risk.ref).where(Risk.title.like("Violent confrontation%"))
        ).one()
    sign_in(page, EXECUTIVE)
    page.goto(f"{live_server.url}/risks/{risk_id}")
    page.get_by_role("link", name=t("Bowtie"), exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/risks/{risk_id}/bowtie")

    drawing = page.locator("svg.bowtie")
    expect(drawing).to_be_visible()
    box = drawing.bounding_box()
    assert box and box["width"] > 900 and box["height"] > 300  # drawn, at a legible size
    assert page.get_by_role("img", name=has("Bowtie of")).count() == 1
    expect(page.locator("table.bowtie-table caption")).to_contain_text(ref)
    expect(page.locator("table.bowtie-table")).to_contain_text(t("Critical") + " ◆")
    expect(page.locator("table.bowtie-table")).to_contain_text(t("Failed") + " ✗")
    browsing.keep("bowtie")

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert browsing.errors == [] and browsing.offsite == []

    svg = page.request.get(f"{live_server.url}/risks/{risk_id}/bowtie.svg")
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
