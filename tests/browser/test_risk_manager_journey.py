"""The risk manager's journey: sign in, create a risk through the real form, then assign two controls
to two departments from the risk page's control panel, and find both on the risk and in the tracker."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.auth.models import Role, User
from riskreg.controls.models import Control, ControlStatus
from riskreg.departments.models import Department
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment
from riskreg.sites.models import Site
from tests.browser.words import day, enum_label, has, own, ref, t

pytestmark = [pytest.mark.browser, pytest.mark.journey]

RISK_MANAGER = "risk@example.com"
SITE = "Rio Seco Copper Project"
DEPARTMENTS = ("Security", "Community Relations")


def head_of(live_server, department: str) -> str:
    """The department head's name: a control assigned without an owner defaults to them."""
    with live_server.session() as session:
        return session.scalar(
            sa.select(User.name)
            .join(Department, Department.id == User.department_id)
            .where(Department.name == department, User.role == Role.DEPARTMENT_HEAD, User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )


def fill_risk_form(page, title: str) -> None:
    form = page.locator("form.risk-form")
    form.get_by_label(t("Title"), exact=True).fill(title)
    form.get_by_label(t("Site"), exact=True).select_option(label=SITE)
    form.get_by_label(t("Direction"), exact=True).select_option(label=enum_label(Direction.TO_COMMUNITIES))
    form.get_by_label(t("Category"), exact=True).select_option(label=ref("Community & Social"))
    form.get_by_label(t("Description"), exact=True).fill(
        "Informal buyers pay miners on the river terraces in cash and cyanide."
    )
    form.get_by_label(t("Cause"), exact=True).fill("No licensed buying centre within a day's walk.")
    form.get_by_label(t("Consequence"), exact=True).fill(
        "Mercury and cyanide reach the river used downstream."
    )
    form.get_by_label(t("Consequence area that drives the impact")).select_option(
        label=enum_label(ImpactArea.SOCIAL)
    )
    for label, level in (
        ("Inherent likelihood", "4"),
        ("Inherent impact", "4"),
        ("Residual likelihood", "3"),
        ("Residual impact", "4"),
    ):
        form.get_by_label(t(label), exact=True).select_option(level)
    form.get_by_label(t("Owner"), exact=True).select_option(label="Rhea Okafor")
    form.get_by_label(t("Treatment"), exact=True).select_option(label=enum_label(Treatment.REDUCE))
    form.get_by_label(t("Status"), exact=True).select_option(label=enum_label(RiskStatus.OPEN))


def add_control(page, title: str, department: str, due: date) -> None:
    """Through the risk page's "Add a new control" panel (folded away once the risk has controls)."""
    panel = page.locator("#controls details", has_text=t("Add a new control"))
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    form = panel.locator("form")
    form.get_by_label(t("Title"), exact=True).fill(title)
    form.get_by_label(t("Description"), exact=True).fill(f"{department} leads it; reported monthly.")
    form.get_by_label(t("Responsible department")).select_option(label=department)
    form.get_by_label(t("Due date")).fill(due.isoformat())
    with page.expect_navigation():
        form.get_by_role("button", name=t("Add and assign")).click()
    expect(page.locator(".flashes")).to_contain_text(has("assigned to its department"))


def test_risk_manager_creates_a_risk_and_assigns_controls_to_two_departments(browsing, live_server, sign_in):
    page = browsing.page
    # The live database is new each session, so plain titles are unique (and read well in screenshots).
    title = own("Unlicensed gold buying on the river terraces")
    controls = {
        "Security": own("Joint patrols of the terrace access roads"),
        "Community Relations": own("Licensed buying centre with the miners' cooperative"),
    }
    due = date.today() + timedelta(days=45)

    sign_in(page, RISK_MANAGER)
    expect(page).to_have_url(re.compile(r"/me$"))  # every role lands on "My work"
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Register")).click()
    expect(page).to_have_url(re.compile(r"/risks$"))
    expect(page.get_by_role("heading", name=t("Risk register"))).to_be_visible()
    browsing.keep("register")

    page.get_by_role("link", name=t("New risk"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/risks/new$"))
    fill_risk_form(page, title)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Create risk")).click()
    expect(page).to_have_url(re.compile(r"/risks/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    risk_id = int(re.search(r"/risks/(\d+)$", page.url).group(1))
    with live_server.session() as session:
        saved_risk = session.execute(
            sa.select(Risk.ref, Risk.title, Site.name, Risk.direction, Risk.status, User.email)
            .join(Site, Site.id == Risk.site_id)
            .join(User, User.id == Risk.created_by_id)
            .where(Risk.id == risk_id)
        ).one()
        risk = session.get(Risk, risk_id)
        scores = (risk.inherent_score, risk.residual_score)
    ref = saved_risk.ref
    assert tuple(saved_risk)[1:] == (title, SITE, Direction.TO_COMMUNITIES, RiskStatus.OPEN, RISK_MANAGER)
    assert scores == (16, 12)
    expect(page.locator("#controls")).to_contain_text(t("No controls mitigate this risk yet."))

    for department, control_title in controls.items():
        add_control(page, control_title, department, due)

    table = page.locator("#controls table.controls")
    expect(table.locator("tbody tr")).to_have_count(2)
    for department, control_title in controls.items():
        row = table.get_by_role("row").filter(has_text=control_title)
        cells = row.get_by_role("cell")
        expect(cells.nth(2)).to_have_text(department)
        expect(cells.nth(3)).to_have_text(head_of(live_server, department))
        expect(cells.nth(4)).to_have_text(day(due))
        expect(cells.nth(5)).to_have_text(enum_label(ControlStatus.PLANNED))
    browsing.keep("risk")

    with live_server.session() as session:
        saved = session.execute(
            sa.select(Control.title, Department.name, Control.status, Control.due_date)
            .join(Department, Department.id == Control.department_id)
            .where(Control.risks.any(Risk.id == risk_id))
        ).all()
    assert sorted(saved) == sorted(
        (control_title, department, ControlStatus.PLANNED, due)
        for department, control_title in controls.items()
    )

    # The same two controls in the cross-department tracker, filtered to this risk.
    with page.expect_navigation():
        page.get_by_role("link", name=t("These controls in the tracker")).click()
    expect(page).to_have_url(re.compile(rf"/controls\?risk={risk_id}$"))
    expect(page.get_by_role("heading", name=t("Controls across departments"))).to_be_visible()
    tracker = page.locator("table.tracker")
    expect(tracker.locator("tbody tr")).to_have_count(2)
    for department, control_title in controls.items():
        row = tracker.get_by_role("row").filter(has_text=control_title)
        # the first cell is the bulk-selection box, then ref, title, department, ...
        expect(row.get_by_role("cell").nth(3)).to_have_text(department)
        expect(row.get_by_role("cell").nth(7)).to_have_text(ref)

    # And in the unfiltered tracker, found with the search box.
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Controls"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/controls$"))
    tracker_search = page.get_by_role("searchbox", name=t("Search"), exact=True)  # not the header's
    tracker_search.fill(controls["Community Relations"])
    with page.expect_navigation():
        page.get_by_role("button", name=t("Filter")).click()
    found = tracker.get_by_role("row").filter(has_text=controls["Community Relations"])
    expect(found).to_have_count(1)
    expect(found.get_by_role("cell").nth(3)).to_have_text("Community Relations")

    assert browsing.offsite == [], "the pages asked for something on another host"
    assert browsing.errors == []
