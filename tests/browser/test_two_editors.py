"""Two people edit the same risk in two browsers (two Chromium contexts, each signed in as itself).

First the repro of issue 10: one saves the title and residual likelihood, the other then saves the
description and residual impact from the page it opened before; both people's edits are kept.
Then both change the title: the second must choose whose title to keep, and nothing is pre-chosen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.audit import AuditEvent
from riskreg.auth.models import User
from riskreg.risks import services
from riskreg.risks.models import Risk
from tests.browser.conftest import VIEWPORT
from tests.browser.words import has, t
from tests.conftest import risk_values

pytestmark = [pytest.mark.browser, pytest.mark.journey]

ADMIN, RISK_MANAGER = "admin@example.com", "risk@example.com"


@pytest.fixture
def other(browser: Any, live_server: Any, journey_language: str) -> Iterator[Any]:
    """The second person's browser: a context of its own (cookies, session), offline like the first,
    asking for the journey's language."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale=journey_language)
    context.route(
        "**/*", lambda route: route.continue_() if live_server.owns(route.request.url) else route.abort()
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def new_risk(live_server: Any, title: str) -> int:
    """A risk of its own for the journey (journeys share the live database)."""
    with live_server.session() as session:
        owner = session.scalar(sa.select(User).where(User.email == RISK_MANAGER))
        values = risk_values(
            owner.id,
            title=title,
            residual_likelihood=2,
            # sooner than any band's cadence, so a score change leaves it where it is
            next_review_date=date.today() + timedelta(days=7),
        )
        risk = services.create_risk(values, actor=owner)
        session.commit()
        return risk.id


def saved(live_server: Any, risk_id: int) -> tuple[Risk, list[dict[str, Any]]]:
    with live_server.session() as session:
        risk = session.get(Risk, risk_id)
        session.expunge(risk)
        updates = session.scalars(
            sa.select(AuditEvent.changes)
            .where(
                AuditEvent.entity == "risk", AuditEvent.entity_id == risk_id, AuditEvent.action == "update"
            )
            .order_by(AuditEvent.id)
        ).all()
    return risk, list(updates)


def save(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form.risk-form").get_by_role("button", name=t("Save changes")).click()


def test_two_editors_keep_each_others_changes(browsing, other, live_server, sign_in):
    first, second = browsing.page, other
    risk_id = new_risk(live_server, "Encroachment on the northern lease")
    url = f"/risks/{risk_id}/edit"
    sign_in(first, ADMIN)
    sign_in(second, RISK_MANAGER)
    first.goto(url)
    second.goto(url)  # both opened the risk as it was

    form = first.locator("form.risk-form")
    form.get_by_label(t("Title"), exact=True).fill("Encroachment by 300 miners on the northern lease")
    form.get_by_label(t("Residual likelihood"), exact=True).select_option("3")
    save(first)
    expect(first).to_have_url(re.compile(rf"/risks/{risk_id}$"))

    form = second.locator("form.risk-form")
    form.get_by_label(t("Description"), exact=True).fill("Pits now reach the haul road.")
    form.get_by_label(t("Residual impact"), exact=True).select_option("2")
    save(second)
    expect(second).to_have_url(re.compile(rf"/risks/{risk_id}$"))
    flashes = second.locator(".flashes")
    # the first save's score change was a reassessment: it moved the next review on too
    expect(flashes).to_contain_text(
        has("%(saved)s; kept %(by)s's change to %(theirs)s, and yours to %(yours)s.")
    )
    merged = flashes.inner_text()
    assert merged.index(t("Title")) < merged.index(t("Residual likelihood")) < merged.index(t("Next review"))
    assert (
        merged.index(t("Next review")) < merged.index(t("Description")) < merged.index(t("Residual impact"))
    )
    assert "Ada Admin" in merged
    expect(second.get_by_role("heading", level=1)).to_have_text(
        "Encroachment by 300 miners on the northern lease"
    )
    browsing.kept["two-editors-merged"] = second.screenshot(full_page=True)  # kept if it passes

    risk, updates = saved(live_server, risk_id)
    assert (risk.title, risk.residual_likelihood) == ("Encroachment by 300 miners on the northern lease", 3)
    assert (risk.description, risk.residual_impact) == ("Pits now reach the haul road.", 2)
    # each also moves residual_assessed_at, unless within the same second as the one before it
    assert [sorted(set(changes) - {"residual_assessed_at"}) for changes in updates] == [
        ["residual_likelihood", "title"],
        ["description", "residual_impact"],
    ]
    assert browsing.offsite == [] and browsing.errors == []


def test_the_second_editor_chooses_when_both_change_the_same_field(browsing, other, live_server, sign_in):
    first, second = browsing.page, other
    risk_id = new_risk(live_server, "Mercury use upstream")
    url = f"/risks/{risk_id}/edit"
    sign_in(first, ADMIN)
    sign_in(second, RISK_MANAGER)
    first.goto(url)
    second.goto(url)

    form = first.locator("form.risk-form")
    form.get_by_label(t("Title"), exact=True).fill("Mercury amalgamation at three pits upstream")
    form.get_by_label(t("Residual likelihood"), exact=True).select_option("3")
    save(first)

    form = second.locator("form.risk-form")
    form.get_by_label(t("Title"), exact=True).fill("Whole-ore amalgamation upstream")
    form.get_by_label(t("Cause"), exact=True).fill("No retort programme")
    save(second)
    expect(second).to_have_url(re.compile(rf"{url}$"))  # nothing saved yet: the form asks
    panel = second.get_by_role("alert").filter(has_text=has("saved this risk while you were editing"))
    expect(panel).to_contain_text("Ada Admin")
    expect(panel).to_contain_text(has("is now in the form"))
    expect(panel.get_by_role("radio")).to_have_count(2)  # only the title asks
    theirs, yours = panel.get_by_label(has("Keep theirs for")), panel.get_by_label(has("Keep yours for"))
    expect(theirs).not_to_be_checked()
    expect(yours).not_to_be_checked()
    expect(panel).not_to_contain_text(has("Nothing has been overwritten"))
    expect(form.get_by_label(t("Residual likelihood"), exact=True)).to_have_value("3")  # theirs merged in
    expect(form.get_by_label(t("Cause"), exact=True)).to_have_value("No retort programme")  # yours kept
    browsing.kept["two-editors-conflict"] = second.screenshot(full_page=True)

    save(second)  # without choosing
    expect(
        second.get_by_role("alert").filter(has_text=has("saved this risk while you were editing"))
    ).to_contain_text(has("Choose whose value to keep"))
    assert saved(live_server, risk_id)[0].title == "Mercury amalgamation at three pits upstream"

    second.get_by_label(has("Keep yours for")).check()
    save(second)
    expect(second).to_have_url(re.compile(rf"/risks/{risk_id}$"))
    risk, updates = saved(live_server, risk_id)
    assert (risk.title, risk.residual_likelihood, risk.cause) == (
        "Whole-ore amalgamation upstream",
        3,
        "No retort programme",
    )
    assert len(updates) == 2
    assert browsing.offsite == [] and browsing.errors == []
