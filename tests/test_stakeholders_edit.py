"""Editing stakeholders and engagement plans (three-way merge), retiring and restoring them, deleting a
plan nothing counts against, and the plan's choice of requirements; audited, authorised, CSRF-checked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.grievances.models import Grievance
from riskreg.modeling import today
from riskreg.sites.models import Engagement
from riskreg.stakeholders import services
from riskreg.stakeholders.models import EngagementPlan, Stakeholder, plan_requirements
from riskreg.standards.models import Requirement
from tests.asm_helpers import load_catalogue
from tests.conftest import text_of
from tests.edit_forms import edited, form_of, opened
from tests.grievance_support import new_grievance, new_stakeholder


def events(entity: str, entity_id: int, action: str | None = None) -> list[AuditEvent]:
    where = [AuditEvent.entity == entity, AuditEvent.entity_id == entity_id]
    if action:
        where.append(AuditEvent.action == action)
    return list(db.session.scalars(sa.select(AuditEvent).where(*where).order_by(AuditEvent.id)))


def make_plan(site, stakeholder, users, **data) -> EngagementPlan:
    values = {"year": today().year, "stakeholder_id": stakeholder.id, "planned_count": 4, **data}
    plan = services.create_plan(site, values, users["risk_manager"])
    db.session.commit()
    return plan


def hold(site, stakeholder, on=None) -> None:
    on = on or max(today() - timedelta(days=1), today().replace(month=1, day=1))
    db.session.add(Engagement(site_id=site.id, held_on=on, stakeholder_group="asm_cooperative", mode="direct",
                              topics="Pit safety", stakeholder_id=stakeholder.id))  # fmt: skip
    db.session.commit()


def stakeholder_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="stakeholder_id".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select)


def stakeholder_form(client, stakeholder, **changes):
    return edited(client, f"/stakeholders/{stakeholder.id}/edit", "stakeholder-form", **changes)


def test_a_stakeholder_is_edited_with_old_and_new_values_audited(clients, make_site):
    site = make_site()
    cooperative = new_stakeholder(site, influence=2, interest=3)
    client = clients["risk_manager"]
    form = stakeholder_form(client, cooperative, influence="5", languages="Twi, Fante")
    assert form["influence"] == "5" and form["interest"] == "3"  # the page showed the stored values
    response = client.post(f"/stakeholders/{cooperative.id}/edit", data=form)
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    assert cooperative.influence == 5 and cooperative.languages == "Twi, Fante" and cooperative.version == 2
    (event,) = events("stakeholder", cooperative.id, "update")
    assert event.changes == {"influence": [2, 5], "languages": ["", "Twi, Fante"]}


def test_two_editors_of_a_stakeholder_are_merged_and_a_clash_asks(clients, make_site):
    site = make_site()
    cooperative = new_stakeholder(site)
    first, second = clients["risk_manager"], clients["admin"]
    tab_a = stakeholder_form(first, cooperative, languages="Twi")
    tab_b = stakeholder_form(second, cooperative, preferred_channel="Monthly meeting")
    assert first.post(f"/stakeholders/{cooperative.id}/edit", data=tab_a).status_code == 302
    assert second.post(f"/stakeholders/{cooperative.id}/edit", data=tab_b).status_code == 302
    db.session.expire_all()
    assert (cooperative.languages, cooperative.preferred_channel) == ("Twi", "Monthly meeting")
    clash_a = stakeholder_form(first, cooperative, notes="Chair changed in May")
    clash_b = stakeholder_form(second, cooperative, notes="Meets at the chief's palace")
    assert first.post(f"/stakeholders/{cooperative.id}/edit", data=clash_a).status_code == 302
    response = second.post(f"/stakeholders/{cooperative.id}/edit", data=clash_b)
    assert response.status_code == 200
    assert re.findall(r'name="keep-([a-z_]+)"', response.get_data(as_text=True)) == ["notes"] * 2
    db.session.expire_all()
    assert cooperative.notes == "Chair changed in May"  # nothing overwritten until they choose
    again = {**form_of(response.get_data(as_text=True), "stakeholder-form"), "keep-notes": "yours"}
    assert second.post(f"/stakeholders/{cooperative.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    assert cooperative.notes == "Meets at the chief's palace"


def test_bad_stakeholder_edits_are_refused_and_nothing_is_written(clients, make_site):
    site = make_site()
    cooperative = new_stakeholder(site)
    client = clients["risk_manager"]
    url = f"/stakeholders/{cooperative.id}/edit"
    page = text_of(client.post(url, data=stakeholder_form(client, cooperative, contact_person="Yaw Darko")))
    assert "only where their consent is noted" in page
    page = text_of(client.post(url, data=stakeholder_form(client, cooperative, influence="9")))
    assert "Not a valid choice" in page
    form = stakeholder_form(client, cooperative)
    del form["version"]
    assert client.post(url, data=form).status_code == 400
    db.session.expire_all()
    assert (
        cooperative.version == 1
        and cooperative.contact_person == ""
        and not events("stakeholder", cooperative.id)
    )


@pytest.mark.parametrize("role", ["department_head", "executive"])
def test_only_those_who_record_monitoring_edit_retire_or_delete(clients, make_site, users, role):
    site = make_site()
    cooperative = new_stakeholder(site)
    plan = make_plan(site, cooperative, users)
    form = stakeholder_form(clients["risk_manager"], cooperative, name="Renamed")
    client = clients[role]
    assert client.get(f"/stakeholders/{cooperative.id}/edit").status_code == 403
    assert client.post(f"/stakeholders/{cooperative.id}/edit", data=form).status_code == 403
    token = {"planned_count": "1"}  # CSRF is off in these tests: its own test is below
    plans = [f"/plans/{plan.id}/{action}" for action in ("edit", "retire", "delete")]
    for url in (f"/stakeholders/{cooperative.id}/retire", *plans):
        assert client.post(url, data=token).status_code == 403, url
    assert "Retire" not in text_of(client.get(f"/sites/{site.id}"))
    db.session.expire_all()
    assert cooperative.name != "Renamed" and cooperative.active and db.session.get(EngagementPlan, plan.id)


def test_retire_without_a_csrf_token_is_refused_and_with_the_pages_token_works(csrf_app):
    from riskreg.auth import services as auth
    from riskreg.sites.models import Site
    from tests.conftest import PASSWORD
    from tests.test_csrf import token

    user = auth.create_user(email="rm@example.com", name="RM", role="risk_manager", password=PASSWORD)
    site = Site(name="Nyota", country="Ghana")
    db.session.add(site)
    db.session.commit()
    cooperative = new_stakeholder(site)
    client = csrf_app.test_client()
    login = {
        "email": user.email,
        "password": PASSWORD,
        "csrf_token": token(client.get("/login").get_data(as_text=True)),
    }
    assert client.post("/login", data=login).status_code == 302
    assert client.post(f"/stakeholders/{cooperative.id}/retire").status_code == 400
    db.session.expire_all()
    assert cooperative.active
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    response = client.post(f"/stakeholders/{cooperative.id}/retire", data={"csrf_token": token(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert not cooperative.active


def test_a_retired_stakeholder_leaves_the_map_pickers_and_figures_but_stays_on_its_records(
    clients, make_site, users
):
    site = make_site()
    cooperative = new_stakeholder(site)
    traders = new_stakeholder(site, "Gold buyers of Bogoso", type="traders", influence=2, interest=2)
    make_plan(site, cooperative, users)
    hold(site, cooperative)
    grievance = new_grievance(site, users["risk_manager"], stakeholder_id=cooperative.id)
    client = clients["risk_manager"]
    token = form_of(client.get(f"/sites/{site.id}").get_data(as_text=True), "/retire")
    response = client.post(f"/stakeholders/{cooperative.id}/retire", data=token)
    assert response.status_code == 302
    assert "retired" in text_of(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert not cooperative.active
    (event,) = events("stakeholder", cooperative.id, "retire")
    assert event.changes == {"active": [True, False]}
    html = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert f'data-stakeholder="{cooperative.id}"' not in html and f'data-stakeholder="{traders.id}"' in html
    assert f'data-retired-stakeholder="{cooperative.id}"' in html
    assert "high-priority stakeholders engaged this year: —" in text_of(client.get(f"/sites/{site.id}"))
    assert "0 of 0 planned engagements held" in text_of(client.get(f"/sites/{site.id}"))
    for url in (f"/sites/{site.id}/engagements/new", "/grievances/new", f"/sites/{site.id}/plans/new"):
        offered = stakeholder_options(client.get(url).get_data(as_text=True))
        assert str(traders.id) in offered and str(cooperative.id) not in offered, url
    engagement = {"held_on": today().isoformat(), "stakeholder_group": "asm_cooperative", "mode": "direct",
                  "topics": "Pit safety", "stakeholder_id": cooperative.id}  # fmt: skip
    assert "not available" in text_of(client.post(f"/sites/{site.id}/engagements/new", data=engagement))
    assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == 1
    # old records keep it: the grievance's page names it, and its edit page still offers it
    assert cooperative.name in text_of(client.get(f"/grievances/{grievance.id}"))
    edit = opened(client, f"/grievances/{grievance.id}/edit", "grievance-form")
    assert edit["stakeholder_id"] == str(cooperative.id)
    assert (
        client.post(f"/grievances/{grievance.id}/edit", data={**edit, "description": "More"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Grievance, grievance.id).stakeholder_id == cooperative.id
    # a retired stakeholder is restored, not edited
    assert client.get(f"/stakeholders/{cooperative.id}/edit").status_code == 400
    assert client.post(f"/stakeholders/{cooperative.id}/restore", data=token).status_code == 302
    db.session.expire_all()
    assert cooperative.active and events("stakeholder", cooperative.id, "restore")[0].changes == {
        "active": [False, True]
    }
    assert f'data-stakeholder="{cooperative.id}"' in client.get(f"/sites/{site.id}").get_data(as_text=True)


def test_a_plan_is_edited_links_and_all_with_old_and_new_values(clients, make_site, make_risk, users):
    load_catalogue()
    site = make_site()
    cooperative = new_stakeholder(site)
    risk = make_risk(site_id=site.id)
    plan = make_plan(site, cooperative, users)
    client = clients["risk_manager"]
    irma = db.session.scalar(sa.select(Requirement.id).where(Requirement.code == "IRMA-3.6"))
    url = f"/plans/{plan.id}/edit"
    form = edited(
        client, url, "plan-form", planned_count="6", risk_ids=[str(risk.id)], requirement_ids=[str(irma)]
    )
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert plan.planned_count == 6 and services.plan_links(plan.id) == ([risk.id], [irma])
    (event,) = events("engagement_plan", plan.id, "update")
    assert event.changes == {
        "planned_count": [4, 6],
        "risks": [[], [risk.ref]],
        "requirements": [["IRMA-3.6", "OECD-MSE-ANNEXE", "RJC-COP-35"], ["IRMA-3.6"]],
    }
    # a change of links alone moves the version, so a stale tab is merged, not lost
    stale = edited(client, url, "plan-form", channel="Radio")
    links_only = edited(client, url, "plan-form", risk_ids=[])
    assert client.post(url, data=links_only).status_code == 302
    assert client.post(url, data=stale).status_code == 302
    db.session.expire_all()
    assert plan.channel == "Radio" and services.plan_links(plan.id)[0] == []
    assert "Link risks of this site" in text_of(
        client.post(url, data=edited(client, url, "plan-form", risk_ids=["999999"]))
    )
    assert "no requirement with id 999999" in text_of(
        client.post(url, data=edited(client, url, "plan-form", requirement_ids=["999999"]))
    )
    assert "between 0 and 365" in text_of(
        client.post(url, data=edited(client, url, "plan-form", planned_count="999"))
    )
    db.session.expire_all()
    assert plan.planned_count == 6 and len(events("engagement_plan", plan.id, "update")) == 3


def test_a_plan_with_nothing_held_is_deleted_and_one_with_engagements_is_retired(clients, make_site, users):
    site = make_site()
    cooperative = new_stakeholder(site)
    traders = new_stakeholder(site, "Gold buyers of Bogoso", type="traders")
    empty, used = make_plan(site, traders, users), make_plan(site, cooperative, users, purpose="Pit safety")
    empty_id = empty.id
    hold(site, cooperative)
    client = clients["risk_manager"]
    page = client.get(f"/sites/{site.id}").get_data(as_text=True)
    assert f"/plans/{empty.id}/delete" in page and f"/plans/{used.id}/retire" in page
    assert f"/plans/{used.id}/delete" not in page
    token = form_of(page, "/delete")
    response = client.post(f"/plans/{used.id}/delete", data=token)
    assert "count against this plan: retire it instead" in text_of(client.get(response.headers["Location"]))
    assert db.session.get(EngagementPlan, used.id) is not None
    assert client.post(f"/plans/{empty_id}/delete", data=token).status_code == 302
    db.session.expire_all()
    assert db.session.get(EngagementPlan, empty_id) is None
    (deleted,) = events("engagement_plan", empty_id, "delete")
    assert deleted.changes["planned_count"] == [4, None] and deleted.changes["stakeholder_id"] == [
        traders.id,
        None,
    ]
    assert client.post(f"/plans/{used.id}/retire", data=token).status_code == 302
    db.session.expire_all()
    assert not used.active
    page = client.get(f"/sites/{site.id}")
    assert "0 of 0 planned engagements held" in text_of(page)
    assert f'data-retired-plan="{used.id}"' in page.get_data(as_text=True)
    assert client.get(f"/plans/{used.id}/edit").status_code == 400
    # a plan of a retired stakeholder is restored only with its stakeholder
    services.set_stakeholder_active(cooperative, False, users["risk_manager"])
    db.session.commit()
    response = client.post(f"/plans/{used.id}/restore", data=token)
    assert "restore the stakeholder before its plan" in text_of(client.get(response.headers["Location"]))
    services.set_stakeholder_active(cooperative, True, users["risk_manager"])
    db.session.commit()
    assert client.post(f"/plans/{used.id}/restore", data=token).status_code == 302
    db.session.expire_all()
    assert used.active and "1 of 4 planned engagements held" in text_of(client.get(f"/sites/{site.id}"))


def test_the_plan_form_preselects_the_three_and_takes_any_requirement(clients, make_site):
    load_catalogue()
    site = make_site()
    cooperative = new_stakeholder(site)
    client = clients["risk_manager"]
    form = opened(client, f"/sites/{site.id}/plans/new", "card")
    codes = dict(db.session.execute(sa.select(Requirement.id, Requirement.code)).all())
    assert sorted(codes[int(r)] for r in form["requirement_ids"]) == [
        "IRMA-3.6",
        "OECD-MSE-ANNEXE",
        "RJC-COP-35",
    ]
    other = db.session.scalar(sa.select(Requirement.id).where(Requirement.code == "OECD-DDG-ANNEXII"))
    bad = {**form, "stakeholder_id": cooperative.id, "requirement_ids": ["424242"]}
    assert "no requirement with id 424242" in text_of(client.post(f"/sites/{site.id}/plans/new", data=bad))
    assert "could not be coerced" in text_of(
        client.post(f"/sites/{site.id}/plans/new", data={**bad, "requirement_ids": ["x"]})
    )
    assert db.session.scalar(sa.select(sa.func.count(EngagementPlan.id))) == 0
    good = {**bad, "requirement_ids": [str(other)]}
    assert client.post(f"/sites/{site.id}/plans/new", data=good).status_code == 302
    assert list(db.session.scalars(sa.select(plan_requirements.c.requirement_id))) == [other]


def test_a_retired_stakeholder_is_not_planned_with(users, make_site):
    site = make_site()
    cooperative = new_stakeholder(site, active=False)
    with pytest.raises(services.StakeholderError, match="is retired"):
        plan = {"year": today().year, "stakeholder_id": cooperative.id, "planned_count": 1}
        services.create_plan(site, plan, users["risk_manager"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Stakeholder.id))) == 1


def test_the_services_refuse_a_retired_stakeholder_on_a_new_engagement_or_grievance(users, make_site):
    from riskreg.grievances import services as grievances
    from riskreg.sites import engagements
    from riskreg.sites.monitoring import MonitoringError
    from tests.grievance_support import grievance_data

    site = make_site()
    retired = new_stakeholder(site, active=False)
    engagement = {"held_on": today(), "stakeholder_group": "asm_cooperative", "mode": "direct",
                  "topics": "Pit safety", "stakeholder_id": retired.id}  # fmt: skip
    with pytest.raises(MonitoringError, match="is retired"):
        engagements.add_engagement(site, engagement, users["risk_manager"])
    db.session.rollback()
    with pytest.raises(grievances.GrievanceError, match="is retired"):
        grievances.create_grievance(grievance_data(site, stakeholder_id=retired.id), users["risk_manager"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Grievance.id))) == 0
