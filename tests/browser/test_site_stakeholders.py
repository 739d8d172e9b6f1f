"""The demo mine's stakeholder map as Chromium draws it: one marker per assessed stakeholder on the
influence x interest grid (figure JSON drawn by our static script under the strict CSP), the list
beside it, and planned against held engagements."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.sites.models import Site
from riskreg.stakeholders.models import Stakeholder
from tests.browser.words import has, t

EXECUTIVE = "exec@example.com"


@pytest.mark.browser
@pytest.mark.journey
def test_the_stakeholder_grid_draws_one_marker_per_assessed_stakeholder(browsing, live_server, sign_in):
    page = browsing.page
    with live_server.session() as session:
        site_id = session.scalar(sa.select(Site.id).where(Site.name == "Nyota Gold Mine"))
        assessed = session.scalar(
            sa.select(sa.func.count(Stakeholder.id)).where(
                Stakeholder.site_id == site_id,
                Stakeholder.influence.is_not(None),
                Stakeholder.interest.is_not(None),
            )
        )
    assert assessed > 0, "the demo maps the mine's stakeholders"
    sign_in(page, EXECUTIVE)
    page.goto(f"{live_server.url}/sites/{site_id}#stakeholders")
    panel = page.locator("#stakeholders")
    expect(panel.get_by_role("heading", name=t("Stakeholders and engagement plans"))).to_be_visible()
    page.wait_for_function("() => document.querySelector('#stakeholders [data-figure][data-drawn]') !== null")
    assert panel.locator(".scatterlayer .point").count() == assessed
    assert panel.locator("table.stakeholders tbody tr").count() >= assessed
    expect(panel.get_by_text(has("planned engagements held in"))).to_be_visible()
    assert t("New stakeholder") not in panel.inner_text()  # the executive changes nothing
    browsing.keep("site-stakeholders")
    assert browsing.offsite == [], "the page asked for something on another host"
    assert browsing.errors == []


RISK_MANAGER = "risk@example.com"


@pytest.mark.browser
@pytest.mark.journey
def test_a_risk_manager_edits_retires_and_restores_a_stakeholder_from_the_site_page(
    browsing, live_server, sign_in
):
    """Through the real forms (CSRF tokens, the edit page's version and base) on a stakeholder of its
    own (journeys share the live database), restored at the end."""
    from riskreg.audit import AuditEvent

    page = browsing.page
    with live_server.session() as session:
        site_id = session.scalar(sa.select(Site.id).where(Site.name == "Nyota Gold Mine"))
        stakeholder = Stakeholder(site_id=site_id, name="Browser journey pit owners", type="pit_owners")
        session.add(stakeholder)
        session.commit()
        stakeholder_id = stakeholder.id
    sign_in(page, RISK_MANAGER)
    page.goto(f"{live_server.url}/sites/{site_id}#stakeholders")
    row = page.locator(f'tr[data-stakeholder="{stakeholder_id}"]')
    row.get_by_role("link", name=t("Edit")).click()
    page.get_by_label(t("Languages")).fill("Twi, Fante")
    page.get_by_role("button", name=t("Save")).click()
    expect(page.locator(".flashes")).to_contain_text(has("%(name)s saved."))
    expect(page.locator(".flashes")).to_contain_text("Browser journey pit owners")
    expect(row).to_contain_text("Twi, Fante")
    row.get_by_role("button", name=t("Retire")).click()
    expect(page.locator(".flashes")).to_contain_text(has("%(name)s retired: off the map"))
    expect(row).to_have_count(0)
    retired = page.locator("details.retired-stakeholders")
    retired.locator("summary").click()
    retired.locator(f'[data-retired-stakeholder="{stakeholder_id}"]').get_by_role(
        "button", name=t("Restore")
    ).click()
    expect(page.locator(".flashes")).to_contain_text(has("%(name)s restored."))
    expect(row).to_have_count(1)
    with live_server.session() as session:
        actions = session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity == "stakeholder", AuditEvent.entity_id == stakeholder_id)
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["update", "retire", "restore"]
    assert browsing.offsite == [] and browsing.errors == []
