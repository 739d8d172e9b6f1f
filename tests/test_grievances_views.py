"""The grievance pages, and the confidentiality of complainants: on every page, in the export and in
the history, for every role; each view of an identity audited; identity posts refused."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.grievances.models import Grievance, GrievanceComplainant
from riskreg.modeling import today
from tests.conftest import department_id, text_of
from tests.grievance_support import new_grievance, new_stakeholder
from tests.xlsx_files import export

NAME, CONTACT, NEW_CONTACT = "Abena Owusu-Secret", "+233 24 555 0199", "via the linguist Kwaku Boateng"
ROLES = ("admin", "risk_manager", "department_head", "executive", "grievance_officer")
OFFICERS = {"admin", "grievance_officer"}


@pytest.fixture
def role_clients(users, make_user, login):
    officer = make_user(Role.GRIEVANCE_OFFICER, department="Community Relations", name="Gil Griev")
    clients = {role: login(user) for role, user in users.items()}
    clients["grievance_officer"] = login(officer)
    return clients, {**users, "grievance_officer": officer}


@pytest.fixture
def case(role_clients, make_site, make_risk):
    """A severe grievance from a cooperative with a named complainant, linked to a risk of the site,
    whose contact the officer changed once (so the history holds old and new values)."""
    clients, users = role_clients
    site = make_site(name="Demo Gold Mine")
    cooperative = new_stakeholder(site)
    risk = make_risk(site_id=site.id)
    grievance = new_grievance(
        site, users["grievance_officer"], stakeholder_id=cooperative.id, severity=4,
        complainant={"name": NAME, "contact": CONTACT},
    )  # fmt: skip
    services.link_risk(grievance, risk.ref, users["grievance_officer"])
    services.set_complainant(grievance, {"name": NAME, "contact": NEW_CONTACT}, users["grievance_officer"])
    db.session.commit()
    return clients, users, grievance, site, risk


def identity_views(grievance_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.entity == services.COMPLAINANT_ENTITY,
            AuditEvent.entity_id == grievance_id,
            AuditEvent.action == "view",
        )
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_complainant_is_seen_only_by_officers_and_admins_on_every_page(case, role):
    clients, _, grievance, site, risk = case
    client = clients[role]
    pages = {
        f"/grievances/{grievance.id}": text_of(client.get(f"/grievances/{grievance.id}")),
        "/grievances": text_of(client.get("/grievances")),
        f"/risks/{risk.id}": text_of(client.get(f"/risks/{risk.id}")),
        f"/sites/{site.id}": text_of(client.get(f"/sites/{site.id}")),
        "/dashboard": text_of(client.get("/dashboard")),
        "/reports/asm-disclosure": text_of(client.get("/reports/asm-disclosure")),
    }
    for url, page in pages.items():
        if url.startswith("/grievances/") and role in OFFICERS:
            assert NAME in page and NEW_CONTACT in page, url
            assert CONTACT in page, "the officer's history shows the contact's change"
        else:
            for secret in (NAME, CONTACT, NEW_CONTACT):
                assert secret not in page, (role, url)
    assert grievance.ref in pages[f"/grievances/{grievance.id}"] and grievance.ref in pages["/grievances"]


@pytest.mark.parametrize("role", ROLES)
def test_the_export_has_the_grievances_without_any_complainant(case, role):
    clients, _, grievance, _, _ = case
    data = export(clients[role])
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name("Grievances").to_python()
    assert rows[1][0] == grievance.ref and "Tarkwa Small-Scale Miners Cooperative" in rows[1]
    for sheet in book.sheet_names:
        cells = " ".join(str(c) for row in book.get_sheet_by_name(sheet).to_python() for c in row)
        for secret in (NAME, CONTACT, NEW_CONTACT):
            assert secret not in cells, (role, sheet)


def test_each_view_of_the_identity_is_audited_and_no_other(case):
    clients, users, grievance, _, _ = case
    assert identity_views(grievance.id) == 0
    for role in ROLES:
        clients[role].get(f"/grievances/{grievance.id}")
    db.session.rollback()
    assert identity_views(grievance.id) == 2  # the admin and the officer
    viewers = set(
        db.session.scalars(
            sa.select(AuditEvent.actor_id).where(
                AuditEvent.entity == services.COMPLAINANT_ENTITY, AuditEvent.action == "view"
            )
        )
    )
    assert viewers == {users["admin"].id, users["grievance_officer"].id}


def test_the_audit_rows_of_the_grievance_itself_hold_no_identity(case):
    _, _, grievance, _, _ = case
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == services.ENTITY, AuditEvent.entity_id == grievance.id
        )
    )
    for event in events:
        text = f"{event.changes} {event.note}"
        assert NAME not in text and CONTACT not in text


@pytest.mark.parametrize("role", ["risk_manager", "department_head"])
def test_a_non_officer_posting_identity_fields_is_refused_and_nothing_is_written(case, role, make_site):
    clients, _, grievance, site, _ = case
    client = clients[role]
    before = (
        db.session.scalar(sa.select(sa.func.count(Grievance.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )
    form = {
        "received_on": today().isoformat(),
        "site_id": site.id,
        "channel": "phone",
        "category": "water",
        "description": "The stream is muddy.",
        "complainant_name": "Someone Named",
    }
    assert client.post("/grievances/new", data=form).status_code == 403
    response = client.post(f"/grievances/{grievance.id}/complainant", data={"name": "X", "contact": "Y"})
    assert response.status_code == 403
    db.session.rollback()
    after = (
        db.session.scalar(sa.select(sa.func.count(Grievance.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )
    assert after == before
    assert db.session.get(GrievanceComplainant, grievance.id).contact == NEW_CONTACT


def test_the_grievance_form_offers_identity_fields_only_to_officers(case):
    clients, *_ = case
    assert "complainant_name" in clients["grievance_officer"].get("/grievances/new").get_data(as_text=True)
    assert "complainant_name" not in clients["department_head"].get("/grievances/new").get_data(as_text=True)


def test_an_out_of_order_step_through_the_page_is_refused(case):
    clients, _, grievance, _, _ = case
    response = clients["grievance_officer"].post(
        f"/grievances/{grievance.id}/step", data={"step": "resolved", "on": today().isoformat()}
    )
    assert response.status_code == 302
    page = text_of(clients["grievance_officer"].get(response.headers["Location"]))
    assert "cannot be resolved next" in page
    db.session.rollback()
    assert db.session.get(Grievance, grievance.id).status.value == "received"


def test_a_department_head_handles_only_their_departments_grievances(case):
    clients, users, _, site, _ = case
    legal = new_grievance(site, users["admin"], "Legal")
    response = clients["department_head"].post(
        f"/grievances/{legal.id}/step", data={"step": "acknowledged", "on": today().isoformat()}
    )
    assert response.status_code == 403


def test_a_community_relations_head_records_handles_and_sees_the_kpis_move(
    make_user, login, make_site, make_risk, users
):
    """The issue's journey: record from a cooperative, acknowledge, link a risk, resolve; KPIs move;
    the executive sees the grievance and never a complainant."""
    head = make_user(Role.DEPARTMENT_HEAD, department="Community Relations", name="Comfort Relations")
    client = login(head)
    site = make_site(name="Demo Gold Mine")
    cooperative = new_stakeholder(site)
    risk = make_risk(site_id=site.id, direction="to_asm")
    received = today() - timedelta(days=2)
    response = client.post(
        "/grievances/new",
        data={
            "received_on": received.isoformat(),
            "site_id": site.id,
            "channel": "engagement",
            "stakeholder_id": cooperative.id,
            "category": "compensation",
            "description": "Crop compensation for the haul road is unpaid.",
            "severity": "4",
        },
    )
    assert response.status_code == 302, text_of(response)
    grievance = db.session.scalar(sa.select(Grievance))
    assert grievance.owner_department_id == department_id("Community Relations")
    kpis_before = text_of(client.get("/grievances"))
    assert "Resolved on time —" in kpis_before
    steps = [
        {"step": "acknowledged"},
        {"step": "under_investigation"},
        {"step": "response_proposed", "response": "Pay the compensation at the agreed rate."},
        {"step": "resolved", "accepted": "yes"},
    ]
    assert client.post(f"/grievances/{grievance.id}/links", data={"risk_ref": risk.ref}).status_code == 302
    for step in steps:
        response = client.post(f"/grievances/{grievance.id}/step", data={"on": today().isoformat(), **step})
        assert response.status_code == 302
    db.session.rollback()
    grievance = db.session.get(Grievance, grievance.id)
    assert grievance.status.value == "resolved" and grievance.accepted is True
    page = text_of(client.get("/grievances"))
    assert "Acknowledged on time 100%" in page and "Resolved on time 100%" in page
    risk_page = text_of(client.get(f"/risks/{risk.id}"))
    assert f"Grievance {grievance.ref}" in risk_page  # the severe grievance flagged the risk
    executive = login(users["executive"])
    assert grievance.ref in text_of(executive.get(f"/grievances/{grievance.id}"))


def test_flask_users_create_makes_a_grievance_officer(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "go@example.com",
            "--name",
            "Grace",
            "--role",
            "grievance_officer",
        ],
        input="a-long-enough-password-1\na-long-enough-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created grievance_officer go@example.com." in result.output


def test_the_asm_disclosure_report_counts_grievances_related_to_asm_per_site(clients, users, make_site):
    site = make_site(name="Nyota Gold Mine")
    cooperative = new_stakeholder(site)
    council = new_stakeholder(site, "Shire council", type="local_government")
    on = today()  # in this year whatever the day
    new_grievance(
        site, users["admin"], stakeholder_id=cooperative.id, human_rights_impact=True, received_on=on
    )
    new_grievance(site, users["admin"], stakeholder_id=council.id, received_on=on)  # not related to ASM
    page = text_of(clients["executive"].get(f"/reports/asm-disclosure?year={today().year}"))
    assert f"Grievances related to ASM, {today().year}" in page
    assert "Nyota Gold Mine 1 0 1 0 1 Land (1)" in page


def test_an_admin_changes_the_deadlines_audited_and_bad_ones_are_refused(clients, users, make_site):
    client = clients["admin"]
    assert "Acknowledge within" in text_of(client.get("/grievances/settings"))
    page = text_of(client.post("/grievances/settings", data={"acknowledge_days": "10", "respond_days": "5"}))
    assert "cannot be due before the acknowledgement" in page
    assert services.deadlines() == services.Deadlines(7, 30)
    response = client.post("/grievances/settings", data={"acknowledge_days": "5", "respond_days": "21"})
    assert response.status_code == 302
    db.session.rollback()
    assert services.deadlines() == services.Deadlines(5, 21)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "settings"))
    assert event.changes == {"acknowledge_days": [7, 5], "respond_days": [30, 21]}
    late = new_grievance(make_site(), users["admin"], received_on=today() - timedelta(days=6))
    assert services.overdue_reasons(late, services.deadlines()) == ["not acknowledged within 5 days"]


def test_assessing_the_severity_later_flags_the_linked_risks(clients, users, make_site, make_risk):
    from riskreg.indicators.reviews import open_flag_reasons
    from tests.edit_forms import edited

    site = make_site()
    risk = make_risk(site_id=site.id)
    grievance = new_grievance(site, users["admin"], severity=None)
    services.link_risk(grievance, risk.ref, users["admin"])
    db.session.commit()
    assert open_flag_reasons([risk.id]) == {}
    client = clients["department_head"]  # the grievance is owned by Security, the head's department
    url = f"/grievances/{grievance.id}/edit"
    response = client.post(url, data=edited(client, url, "grievance-form", severity="5"))
    assert response.status_code == 302, text_of(response)
    db.session.rollback()
    assert db.session.get(Grievance, grievance.id).severity == 5
    assert list(open_flag_reasons([risk.id])) == [risk.id]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "grievance", AuditEvent.action == "update")
    )
    assert event.changes == {"severity": [None, 5]}
    stale = edited(client, url, "grievance-form", description="Changed by someone else first")
    client.post(url, data=edited(client, url, "grievance-form", description="A newer description"))
    response = client.post(url, data=stale)
    page = text_of(response)
    assert response.status_code == 200 and "A newer description" in page  # both asked about, none lost
    db.session.rollback()
    assert db.session.get(Grievance, grievance.id).description == "A newer description"
