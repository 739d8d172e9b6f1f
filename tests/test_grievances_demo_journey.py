"""The issue's "Done when", walked on the demo data as a new user would, through the pages only: a new
community relations head records a grievance from the demo mine's ASM cooperative, acknowledges it,
links it to a risk and resolves it, and sees the KPIs move; the grievance officer notes who raised
it; the executive sees the grievance, and the complainant's name nowhere (pages, export, history)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from riskreg.extensions import db
from riskreg.grievances import queries
from riskreg.grievances.models import Grievance, GrievanceComplainant
from riskreg.modeling import today
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.sites.models import Site
from riskreg.stakeholders.models import Stakeholder, StakeholderType
from tests.conftest import text_of
from tests.xlsx_files import export

DEMO_PASSWORD = "riskreg-demo-2026"
NEW_PASSWORD = "a-long-enough-password-14"
NAME, CONTACT = "Efua Mensah-Confidential", "+233 20 111 4477 (through the chief's linguist)"


def signed_in(app, email: str, password: str = DEMO_PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, text_of(response)
    return client


def kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}"[^>]*>([^<]*)<', html).group(1).strip()


def kpis_of(client, url: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    names = ("received", "acknowledged_on_time", "resolved_on_time", "average_days_to_close")
    return {name: kpi(html, name) for name in names}


def figures(site_id: int):
    """The KPIs of /grievances?site= unrounded (the page shows whole percentages)."""
    db.session.expire_all()
    return queries.kpis(queries.GrievanceFilters(site=site_id))


def test_a_new_community_relations_head_handles_a_grievance_and_the_executive_never_sees_who(app, runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    created = runner.invoke(
        args=["users", "create", "--email", "ama.cr@example.com", "--name", "Ama Boateng",
              "--role", "department_head", "--department", "Community Relations"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    head = signed_in(app, "ama.cr@example.com", NEW_PASSWORD)
    mine = db.session.scalar(sa.select(Site).where(Site.name == "Nyota Gold Mine"))
    cooperative = db.session.scalar(
        sa.select(Stakeholder).where(
            Stakeholder.site_id == mine.id, Stakeholder.type == StakeholderType.COOPERATIVE
        )
    )
    risk = db.session.scalar(
        sa.select(Risk)
        .where(
            Risk.site_id == mine.id, Risk.direction == Direction.TO_ASM, Risk.status != RiskStatus.ARCHIVED
        )
        .order_by(Risk.id)
    )
    assert cooperative is not None and risk is not None, "the demo mine has a cooperative and risks to ASM"
    kpis_url = f"/grievances?site={mine.id}"
    exact = [figures(mine.id)]
    before = kpis_of(head, kpis_url)
    dashboard_before = kpi(head.get(f"/dashboard?site={mine.id}").get_data(as_text=True), "received")

    # record: the form offers the cooperative, and no identity fields to a department head
    form = head.get(f"/grievances/new?site={mine.id}").get_data(as_text=True)
    assert f'value="{cooperative.id}"' in form and 'name="complainant_name"' not in form
    received = today() - timedelta(days=4)
    response = head.post("/grievances/new", data={
        "received_on": received.isoformat(), "site_id": mine.id, "channel": "engagement",
        "stakeholder_id": cooperative.id, "category": "compensation", "severity": "4",
        "description": "Cooperative members say the crop compensation for the new haul road is unpaid.",
    })  # fmt: skip
    assert response.status_code == 302, text_of(response)
    grievance_url = response.headers["Location"]
    grievance = db.session.scalar(sa.select(Grievance).order_by(Grievance.id.desc()))
    assert grievance_url.endswith(f"/grievances/{grievance.id}")
    assert cooperative.name in text_of(head.get(grievance_url))
    recorded = kpis_of(head, kpis_url)
    exact.append(figures(mine.id))
    assert int(recorded["received"]) == int(before["received"]) + 1

    # acknowledge, link to a risk, investigate, propose, resolve: each through the page's forms
    step = f"/grievances/{grievance.id}/step"
    assert head.post(step, data={"step": "acknowledged", "on": today().isoformat()}).status_code == 302
    acknowledged = kpis_of(head, kpis_url)
    exact.append(figures(mine.id))
    links = head.post(f"/grievances/{grievance.id}/links", data={"risk_ref": risk.ref})
    assert "flagged for review" in text_of(head.get(links.headers["Location"]))
    for data in (
        {"step": "under_investigation"},
        {"step": "response_proposed", "response": "Pay the agreed rate at the next community meeting."},
        {"step": "resolved", "accepted": "yes"},
    ):
        response = head.post(step, data={"on": today().isoformat(), **data})
        assert response.status_code == 302
        assert f"is now {data['step'].replace('_', ' ')}" in text_of(head.get(response.headers["Location"]))
    db.session.expire_all()
    grievance = db.session.get(Grievance, grievance.id)
    assert grievance.status.value == "resolved" and grievance.accepted is True
    resolved = kpis_of(head, kpis_url)
    exact.append(figures(mine.id))

    # the KPIs moved: received at once; the shares on time once each step is taken in time (the
    # grievance was not yet due either way), as the page shows them rounded
    assert [k.received for k in exact] == [exact[0].received + n for n in (0, 1, 1, 1)]
    assert exact[1].acknowledged_on_time == exact[0].acknowledged_on_time
    assert exact[2].acknowledged_on_time > exact[1].acknowledged_on_time
    assert exact[2].resolved_on_time == exact[1].resolved_on_time
    assert exact[3].resolved_on_time > exact[2].resolved_on_time
    for shown, figures_then in zip((before, recorded, acknowledged, resolved), exact, strict=True):
        for name in ("acknowledged_on_time", "resolved_on_time"):
            assert shown[name] == f"{round(getattr(figures_then, name) * 100)}%", name
    dashboard_after = kpi(head.get(f"/dashboard?site={mine.id}").get_data(as_text=True), "received")
    assert int(dashboard_after) == int(dashboard_before) + 1
    risk_page = text_of(head.get(f"/risks/{risk.id}"))
    assert grievance.ref in risk_page

    # the department head cannot note who raised it; the demo grievance officer can
    assert head.post(f"/grievances/{grievance.id}/complainant", data={"name": NAME}).status_code == 403
    officer = signed_in(app, "grievance.officer@example.com")
    noted = officer.post(f"/grievances/{grievance.id}/complainant", data={"name": NAME, "contact": CONTACT})
    assert noted.status_code == 302
    assert NAME in text_of(officer.get(grievance_url))  # stored, and shown to the officer only
    assert db.session.get(GrievanceComplainant, grievance.id).name == NAME

    # the executive: the grievance everywhere it belongs, the complainant nowhere
    executive = signed_in(app, "exec@example.com")
    page = executive.get(grievance_url)
    assert page.status_code == 200
    text = text_of(page)
    assert grievance.ref in text and cooperative.name in text and "Resolved" in text and "History" in text
    pages = [
        grievance_url,
        "/grievances",
        kpis_url,
        f"/risks/{risk.id}",
        f"/risks?grievance=severe&site={mine.id}",
        f"/dashboard?site={mine.id}",
        f"/sites/{mine.id}",
        "/me",
        f"/reports/asm-disclosure?year={today().year}",
    ]
    for url in pages:
        response = executive.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        for secret in (NAME, CONTACT, "Efua"):
            assert secret not in html, (url, secret)
    assert grievance.ref in text_of(executive.get(f"/risks?grievance=severe&site={mine.id}"))
    book = CalamineWorkbook.from_filelike(io.BytesIO(export(executive)))
    grievance_rows = book.get_sheet_by_name("Grievances").to_python()
    assert any(row and row[0] == grievance.ref for row in grievance_rows)
    for sheet in book.sheet_names:
        cells = " ".join(str(c) for row in book.get_sheet_by_name(sheet).to_python() for c in row)
        for secret in (NAME, CONTACT, "Efua"):
            assert secret not in cells, (sheet, secret)
