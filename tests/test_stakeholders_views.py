"""The stakeholder map, engagement plans and engagements linked to the stakeholder met."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.stakeholders.models import EngagementPlan, Stakeholder
from tests.conftest import text_of
from tests.edit_forms import form_of
from tests.grievance_support import new_stakeholder


def test_a_stakeholder_is_added_and_a_contact_needs_consent(clients, make_site):
    site = make_site()
    client = clients["risk_manager"]
    form = {"name": "Prestea Galamsey Association", "type": "cooperative", "influence": "4", "interest": "5",
            "contact_person": "Yaw Darko"}  # fmt: skip
    page = text_of(client.post(f"/sites/{site.id}/stakeholders/new", data=form))
    assert "only where their consent is noted" in page
    assert db.session.scalar(sa.select(sa.func.count(Stakeholder.id))) == 0
    response = client.post(f"/sites/{site.id}/stakeholders/new", data={**form, "consent_noted": "y"})
    assert response.status_code == 302
    stakeholder = db.session.scalar(sa.select(Stakeholder))
    assert stakeholder.contact_person == "Yaw Darko" and stakeholder.high_priority


def test_a_plan_links_risks_of_its_site_only(clients, make_site, make_risk):
    from riskreg.stakeholders.models import plan_risks

    site, other = make_site(), make_site()
    cooperative = new_stakeholder(site)
    mine, theirs = make_risk(site_id=site.id), make_risk(site_id=other.id)
    client = clients["risk_manager"]
    plan = {"year": today().year, "stakeholder_id": cooperative.id, "planned_count": 2}
    page = text_of(client.post(f"/sites/{site.id}/plans/new", data={**plan, "risk_ids": [theirs.id]}))
    assert "Link risks of this site" in page
    assert db.session.scalar(sa.select(sa.func.count(EngagementPlan.id))) == 0
    assert client.post(f"/sites/{site.id}/plans/new", data={**plan, "risk_ids": [mine.id]}).status_code == 302
    assert list(db.session.scalars(sa.select(plan_risks.c.risk_id))) == [mine.id]


def test_the_site_page_shows_the_grid_and_planned_against_held(clients, make_site, users):
    site = make_site()
    cooperative = new_stakeholder(site)
    traders = new_stakeholder(site, "Gold buyers of Bogoso", type="traders", influence=2, interest=3)
    client = clients["risk_manager"]
    plan = {
        "year": today().year,
        "stakeholder_id": cooperative.id,
        "planned_count": 4,
        "frequency": "quarterly",
    }
    assert client.post(f"/sites/{site.id}/plans/new", data=plan).status_code == 302
    assert "already has a plan" in text_of(client.post(f"/sites/{site.id}/plans/new", data=plan))
    held_on = max(today() - timedelta(days=3), today().replace(month=1, day=1))
    engagement = {"held_on": held_on.isoformat(), "stakeholder_group": "asm_cooperative", "mode": "direct",
                  "topics": "Safety of pit walls", "stakeholder_id": cooperative.id}  # fmt: skip
    assert client.post(f"/sites/{site.id}/engagements/new", data=engagement).status_code == 302
    response = client.get(f"/sites/{site.id}")
    html = response.get_data(as_text=True)
    figure = json.loads(re.search(r'id="figure-stakeholders">(.*?)</script>', html, re.S).group(1))
    assert figure["data"][0]["text"] == [traders.name, cooperative.name]  # by name
    page = text_of(response)
    assert f"1 of 4 planned engagements held in {today().year}" in page
    assert "high-priority stakeholders engaged this year: 100% (1 of 1)" in page
    assert "Gold buyers of Bogoso (never)" in page
    assert "1 of 4 planned engagements held" in text_of(clients["executive"].get("/engagement"))
    assert db.session.scalar(sa.select(sa.func.count(EngagementPlan.id))) == 1


def test_an_engagement_with_a_stakeholder_of_another_site_is_refused(clients, make_site):
    here, there = make_site(), make_site()
    theirs = new_stakeholder(there, "Elsewhere miners")
    new_stakeholder(here)
    engagement = {"held_on": today().isoformat(), "stakeholder_group": "asm_miners", "mode": "direct",
                  "topics": "x", "stakeholder_id": theirs.id}  # fmt: skip
    response = clients["risk_manager"].post(f"/sites/{here.id}/engagements/new", data=engagement)
    assert response.status_code == 200
    from riskreg.sites.models import Engagement

    assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == 0


def test_engagements_held_under_a_plan_are_coverage_evidence(clients, make_site, users):
    from riskreg.standards.coverage import coverage_matrix
    from riskreg.standards.evidence import requirement_evidence
    from riskreg.standards.models import Requirement
    from tests.asm_helpers import load_catalogue

    load_catalogue()
    site = make_site(name="Nyota")
    cooperative = new_stakeholder(site)
    client = clients["risk_manager"]
    plan = {**form_of(client.get(f"/sites/{site.id}/plans/new").get_data(as_text=True), "card"),
            "stakeholder_id": cooperative.id, "planned_count": 2}  # fmt: skip
    assert client.post(f"/sites/{site.id}/plans/new", data=plan).status_code == 302
    engagement = {"held_on": today().isoformat(), "stakeholder_group": "asm_cooperative", "mode": "direct",
                  "topics": "Plans for the season", "stakeholder_id": cooperative.id}  # fmt: skip
    assert client.post(f"/sites/{site.id}/engagements/new", data=engagement).status_code == 302
    matrix = coverage_matrix(["RJC", "IRMA", "OECD"])
    cells = {row.requirement.code: row.cells[site.id] for block in matrix.frameworks for row in block.rows}
    for code in ("RJC-COP-35", "IRMA-3.6", "OECD-MSE-ANNEXE"):
        assert cells[code].engagements == 1, code
    assert cells["OECD-DDG-ANNEXII"].engagements == 0
    requirement = db.session.scalar(sa.select(Requirement).where(Requirement.code == "RJC-COP-35"))
    by_site = {column.label: column for column in requirement_evidence(requirement)}
    assert len(by_site["Nyota"].engagements) == 1
