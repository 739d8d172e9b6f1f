"""Acceptance pages over HTTP: the Done-when journey with real mail, bad input, the register, the sheet."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from riskreg.acceptances.models import Acceptance, AcceptanceState
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk, Treatment
from tests.acceptance_support import EXTREME, JUSTIFICATION, MEDIUM, count, request
from tests.conftest import text_of
from tests.edit_forms import edited
from tests.xlsx_files import calamine_rows, export


def form(approver, days: int = 90, **over) -> dict:
    data = {
        "justification": JUSTIFICATION,
        "expires_on": (today() + timedelta(days=days)).isoformat(),
        "approver_id": str(approver.id),
    }
    return {**data, **over}


def test_done_when_journey(smtp, make_user, make_risk, login, runner):
    manager = make_user(Role.RISK_MANAGER, name="Nina New", email="nina@example.com")
    executive = make_user(Role.EXECUTIVE, name="Edgar Exec", email="edgar@example.com")
    risk = make_risk(**EXTREME, owner_id=manager.id, title="Tailings seepage to the river")
    as_manager = login(manager)
    page = text_of(as_manager.get(f"/risks/{risk.id}/acceptance"))
    assert "Edgar Exec (Executive)" in page and "Nina New" not in page.split("Approver")[1]
    response = as_manager.post(f"/risks/{risk.id}/acceptance", data=form(executive, days=40))
    assert response.status_code == 302
    page = text_of(as_manager.get(f"/risks/{risk.id}"))
    assert "Acceptance pending" in page and "Accepted until" not in page
    register = as_manager.get("/risks").get_data(as_text=True)
    assert 'class="flag acceptance acceptance-pending">Acceptance pending' in register
    assert "Approval asked" in smtp.to("edgar@example.com")[0]["Subject"]

    as_executive = login(executive)
    my_work = as_executive.get("/me").get_data(as_text=True)
    assert "Acceptances awaiting my approval" in my_work and "Tailings seepage to the river" in my_work
    assert f"/risks/{risk.id}#acceptance" in my_work
    page = as_executive.get(f"/risks/{risk.id}").get_data(as_text=True)
    acceptance = db.session.scalar(sa.select(Acceptance))
    assert f"/acceptances/{acceptance.id}/decide" in page
    response = as_executive.post(
        f"/acceptances/{acceptance.id}/decide",
        data={"decision": "approve", "note": "Agreed until the dam lift."},
    )
    assert response.status_code == 302
    assert "Acceptances awaiting my approval" not in as_executive.get("/me").get_data(as_text=True)
    page = text_of(as_manager.get(f"/risks/{risk.id}"))
    expires = acceptance.expires_on
    assert f"Accepted until {expires.isoformat()}" in page
    assert "approved" in smtp.to("nina@example.com")[0]["Subject"]

    result = runner.invoke(
        args=["acceptances", "expire", "--today", (expires - timedelta(days=30)).isoformat()]
    )
    assert "0 expired, 1 warned" in result.output, result.output
    assert any("expires on" in m["Subject"] for m in smtp.to("nina@example.com"))
    result = runner.invoke(
        args=["acceptances", "expire", "--today", (expires + timedelta(days=1)).isoformat()]
    )
    assert "1 expired, 0 warned" in result.output, result.output
    page = text_of(as_manager.get(f"/risks/{risk.id}"))
    assert "Needs review." in page and f"expired on {expires.isoformat()}" in page
    assert "Accepted until" not in page
    assert any("expired" in m["Subject"] for m in smtp.to("nina@example.com"))
    again = runner.invoke(
        args=["acceptances", "expire", "--today", (expires + timedelta(days=1)).isoformat()]
    )
    assert "0 expired, 0 warned" in again.output


def test_bad_requests_say_why_and_write_nothing(clients, users, make_risk):
    risk = make_risk(**EXTREME)
    client = clients["risk_manager"]
    url = f"/risks/{risk.id}/acceptance"
    cases = [
        (form(users["executive"], justification=""), "Say why the risk is accepted"),
        (form(users["executive"], expires_on=""), "Give the date the acceptance expires"),
        (form(users["executive"], days=-1), "The expiry date must lie ahead"),
        (form(users["executive"], days=400), "An acceptance lasts at most 12 months"),
        (form(users["admin"]), "Ada Admin cannot approve it: an Extreme risk is accepted by an executive"),
        (form(users["risk_manager"]), "Someone else must approve your request"),
    ]
    for data, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == 200 and message in text_of(response), message
    assert count() == 0 and db.session.get(Risk, risk.id).treatment is Treatment.REDUCE


def test_the_edit_form_sends_accept_to_the_request(clients, make_risk):
    risk = make_risk()
    url = f"/risks/{risk.id}/edit"
    data = edited(clients["risk_manager"], url, "risk-form", treatment="accept", title="Changed too")
    page = text_of(clients["risk_manager"].post(url, data=data))
    assert "Request acceptance" in page and "needs an approval" in page
    risk = db.session.get(Risk, risk.id)
    assert risk.treatment is Treatment.REDUCE and risk.title != "Changed too"


def test_deciding_your_own_request_is_refused(clients, users, make_risk):
    risk = make_risk(**MEDIUM)
    acceptance = request(risk, users["risk_manager"], users["admin"])
    response = clients["risk_manager"].post(
        f"/acceptances/{acceptance.id}/decide", data={"decision": "approve"}
    )
    assert response.status_code == 302
    page = text_of(clients["risk_manager"].get(response.headers["Location"]))
    assert "someone else must decide it" in page
    assert db.session.get(Acceptance, acceptance.id).state is AcceptanceState.PENDING


def test_an_approver_without_the_band_authority_is_refused(clients, users, make_risk):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["admin"], users["executive"])
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = clients["risk_manager"].post(
        f"/acceptances/{acceptance.id}/decide", data={"decision": "approve"}
    )
    page = text_of(clients["risk_manager"].get(response.headers["Location"]))
    assert "An Extreme risk is accepted by an executive" in page
    db.session.rollback()
    assert db.session.get(Acceptance, acceptance.id).state is AcceptanceState.PENDING
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_who_sees_which_buttons(clients, users, make_risk):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    decide = f"/acceptances/{acceptance.id}/decide"
    assert decide in clients["executive"].get(f"/risks/{risk.id}").get_data(as_text=True)
    for role in ("risk_manager", "department_head", "admin"):
        assert decide not in clients[role].get(f"/risks/{risk.id}").get_data(as_text=True), role
    assert "Request acceptance" not in text_of(clients["executive"].get(f"/risks/{risk.id}"))


def test_the_register_of_acceptances_filters(clients, users, make_risk, make_site):
    site = make_site(name="Nyota")
    extreme = make_risk(**EXTREME, site_id=site.id, title="Extreme one")
    medium = make_risk(**MEDIUM, title="Medium one")
    pending = request(extreme, users["risk_manager"], users["executive"])
    active = request(medium, users["risk_manager"], users["admin"])
    from riskreg.acceptances import services

    services.decide(active, True, "", users["admin"])
    db.session.commit()
    client = clients["department_head"]

    def shown(query: str) -> set[int]:
        html = client.get(f"/acceptances{query}").get_data(as_text=True)
        return {acc.id for acc in (pending, active) if f'data-acceptance="{acc.id}"' in html}

    assert shown("") == {pending.id, active.id}
    assert shown("?state=pending") == {pending.id}
    assert shown("?state=active") == {active.id}
    assert shown(f"?site={site.id}") == {pending.id}
    assert shown("?site=corporate") == {active.id}
    assert shown(f"?approver={users['admin'].id}") == {active.id}
    assert shown("?band=extreme") == {pending.id}
    bad = client.get("/acceptances?state=approved")
    assert bad.status_code == 400 and "Filter &#39;state&#39; must be one of" in bad.get_data(as_text=True)


def test_the_workbook_has_an_acceptances_sheet(clients, users, make_risk):
    risk = make_risk(**EXTREME, title="Seepage")
    request(risk, users["risk_manager"], users["executive"])
    rows = calamine_rows(export(clients["executive"]), "Acceptances")
    assert rows[0][:5] == ["Ref", "Risk", "Site", "Acceptance", "State"]
    assert rows[1][0] == risk.ref and rows[1][4] == "pending" and rows[1][8] == JUSTIFICATION
