"""The risk form in Chromium: the template picker filters on the server and opens a pre-filled
form; the score preview (riskreg/static/js/score-preview.js, no inline script) redraws each band
as the likelihood, the impact or the direction changes, with the people-first rule."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from riskreg import scoring
from riskreg.standards import templates as risk_templates
from tests.browser.words import ref, t, tn

pytestmark = [pytest.mark.browser, pytest.mark.journey]

RISK_MANAGER = "risk@example.com"


def test_pick_a_template_then_watch_the_band_follow_the_choices(page, browsing, sign_in, live_server):
    sign_in(page, RISK_MANAGER)
    page.goto("/risks")
    with page.expect_navigation():
        page.get_by_role("link", name=t("New risk from template")).click()
    page.get_by_role("searchbox", name=t("Search"), exact=True).fill("mercury")  # the picker's own
    page.get_by_label(t("Direction")).select_option("to_communities")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Filter")).click()
    results = page.locator(".template-picker li")
    assert 0 < results.count() < 5
    with live_server.app.app_context():
        total = len(risk_templates.all_templates())
    found = results.count()
    counted = tn("%(found)s of %(num)d template", "%(found)s of %(num)d templates", total, found=found)
    expect(page.locator("#picker-count")).to_contain_text(counted)
    with page.expect_navigation():
        results.first.locator("a").click()
    assert "/risks/new?template=" in page.url
    expect(page.get_by_label(t("Title"))).not_to_have_value("")

    with live_server.session():
        matrix = scoring.matrix()
        # A cell the people-first rule lifts, when the company's matrix has one (a score-threshold
        # matrix does; the default cell map already puts a catastrophic impact at High or above).
        lifted = [
            (lk, im)
            for lk in scoring.LEVELS
            for im in scoring.LEVELS
            if matrix.band_for(lk, im, True).key != matrix.band_for(lk, im, False).key
        ]
        low = matrix.band_for(1, 2, False)
        high = matrix.band_for(5, 5, True)
    residual = page.locator('[data-pair="residual"] output')
    page.get_by_label(t("Residual likelihood")).select_option("1")
    page.get_by_label(t("Residual impact")).select_option("2")
    expect(residual).to_have_text(f"2 · {ref(low.label)}")
    for lk, im in lifted[:1]:
        with live_server.session():
            people, others = matrix.band_for(lk, im, True), matrix.band_for(lk, im, False)
        page.get_by_label(t("Residual likelihood")).select_option(str(lk))
        page.get_by_label(t("Residual impact")).select_option(str(im))
        expect(residual).to_have_text(f"{lk * im} · {ref(people.label)}")  # to communities: lifted
        page.get_by_label(t("Direction")).select_option("to_company")
        expect(residual).to_have_text(f"{lk * im} · {ref(others.label)}")
    page.get_by_label(t("Residual likelihood")).select_option("5")
    page.get_by_label(t("Residual impact")).select_option("5")
    expect(residual).to_have_text(f"25 · {ref(high.label)}")
    page.get_by_label(t("Residual impact")).select_option("")
    expect(residual).to_have_text(t("choose both levels"))
    expect(page.get_by_text(t("What the levels and bands mean"))).to_be_visible()
    assert browsing.errors == [] and browsing.offsite == []
    browsing.keep("risk-form-score-preview")
