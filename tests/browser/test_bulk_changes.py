"""Bulk change in the browser: the register's "select all" box (riskreg/static/js/bulk.js, no
inline script) ticks every risk on the page, and the bulk form sets their next review date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.risks.models import Risk
from riskreg.sites.models import Site
from tests.browser.conftest import JOURNEY_LANGUAGES
from tests.browser.words import t, tn

pytestmark = [pytest.mark.browser, pytest.mark.journey]

RISK_MANAGER = "risk@example.com"
WHEN = date(2031, 1, 15)


def test_select_all_ticks_the_page_and_the_bulk_form_changes_those_risks(
    page, browsing, sign_in, live_server, journey_language
):
    with live_server.session() as session:
        site_id, site = session.execute(sa.select(Site.id, Site.name).order_by(Site.name).limit(1)).one()
    sign_in(page, RISK_MANAGER)
    page.goto(f"/risks?site={site_id}&status=open")
    boxes = page.locator('input[name="item"][form="bulk-risks"]')
    count = boxes.count()
    assert count > 0, f"no open risks at {site}"
    select_all = page.get_by_label(t("Select every risk on this page"))
    expect(select_all).to_be_visible()  # shown by the script; hidden without it
    select_all.check()
    for index in range(count):
        expect(boxes.nth(index)).to_be_checked()
    ids = [int(value.split(":")[0]) for value in boxes.evaluate_all("boxes => boxes.map(b => b.value)")]
    form = page.locator("#bulk-risks")
    # The French run changes the risks the English run left: a date of its own, so they do change.
    when = WHEN + timedelta(days=JOURNEY_LANGUAGES.index(journey_language))
    form.get_by_label(t("Next review")).fill(when.isoformat())
    with page.expect_navigation():
        form.get_by_role("button", name=t("Apply to the selected risks")).click()
    expect(page.locator(".flash-success")).to_contain_text(
        tn("%(num)d risk changed", "%(num)d risks changed", count)
    )
    assert f"site={site_id}" in page.url  # back to the same filtered list
    with live_server.session() as session:
        dates = session.scalars(sa.select(Risk.next_review_date).where(Risk.id.in_(ids))).all()
    assert len(dates) == count and set(dates) == {when}
    assert browsing.errors == [] and browsing.offsite == []
    browsing.keep("bulk-change-register")
