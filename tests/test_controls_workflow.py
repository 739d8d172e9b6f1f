"""The loop across departments: the head starts, notes and closes their control (with a PDF), cannot
touch another department's even by posting directly; the risk manager verifies or reopens it; the
risk flags its residual score for review; two people closing at once do not overwrite each other."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.controls.models import Control, ControlEvidence, ControlNote, ControlStatus, Effectiveness
from riskreg.extensions import db
from tests.conftest import text_of
from tests.controls_support import PDF, actions, fresh, new_control
from tests.edit_forms import edited


@pytest.fixture
def setup(users, make_risk):
    risk = make_risk(title="Violent confrontation with security")
    rm = users["risk_manager"]
    return {
        "risk": risk,
        "security": new_control(
            rm, "Security", [risk], title="VPSHR training", due_date=date.today() - timedelta(days=2)
        ),
        "legal": new_control(rm, "Legal", [risk], title="Human-rights due diligence", owner_id=rm.id),
    }


def test_the_department_head_closes_with_a_pdf_and_the_manager_verifies(clients, setup, users):
    head, manager = clients["department_head"], clients["risk_manager"]
    control, risk = setup["security"], setup["risk"]

    mine = text_of(head.get("/controls/mine"))
    assert control.title in mine and "2 days overdue" in mine and setup["legal"].title not in mine

    head.post(f"/controls/{control.id}/start", data={"version": control.version, "return_to": "mine"})
    control = fresh(control.id)
    assert control.status is ControlStatus.IN_PROGRESS
    head.post(f"/controls/{control.id}/note", data={"body": "Half the guards trained", "return_to": "mine"})
    response = head.post(
        f"/controls/{control.id}/close",
        data={
            "version": control.version,
            "return_to": "mine",
            "closing_note": "All 48 guards trained; attendance sheets attached.",
            "evidence": [(io.BytesIO(PDF), "attendance.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/controls/mine")
    control = fresh(control.id)
    assert control.status is ControlStatus.IMPLEMENTED and control.closed_by_id == users["department_head"].id
    assert db.session.scalar(sa.select(ControlEvidence.original_name)) == "attendance.pdf"
    assert control.title not in text_of(head.get("/controls/mine")).split("awaiting verification")[0]

    # The risk manager verifies it; every control of the risk is not done yet (Legal's is open).
    assert "Residual score due for review" not in text_of(manager.get(f"/risks/{risk.id}"))
    manager.post(
        f"/controls/{control.id}/verify",
        data={"version": control.version, "effectiveness": "effective", "note": "Checked the sheets"},
    )
    control = fresh(control.id)
    assert control.status is ControlStatus.VERIFIED and control.effectiveness is Effectiveness.EFFECTIVE

    legal = setup["legal"]
    manager.post(
        f"/controls/{legal.id}/close", data={"version": legal.version, "closing_note": "Done by Legal"}
    )
    page = text_of(manager.get(f"/risks/{risk.id}"))
    assert "Residual score due for review" in page and "Confirm the residual score" in page
    assert "Confirm the residual score" not in text_of(head.get(f"/risks/{risk.id}"))

    manager.post(f"/risks/{risk.id}/confirm-residual")
    page = text_of(manager.get(f"/risks/{risk.id}"))
    assert "Residual score due for review" not in page
    # The History tabs show all of it.
    assert actions("control", control.id) == ["create", "link", "start", "note", "close", "verify"]
    assert actions("risk", risk.id)[-4:] == [
        "control_implemented", "control_verified", "control_implemented", "reassess"
    ]  # fmt: skip
    control_page = text_of(head.get(f"/controls/{control.id}"))
    assert "Close by Sam Security" in control_page and "Verify by Rhea Risk" in control_page
    assert "attendance.pdf" in control_page and "Half the guards trained" in control_page
    assert "Control implemented by Sam Security" in page and "Reassess by Rhea Risk" in page


def test_editing_the_residual_score_also_clears_the_flag(clients, setup, users):
    risk = setup["risk"]
    for control in (setup["security"], setup["legal"]):
        clients["risk_manager"].post(
            f"/controls/{control.id}/close", data={"version": control.version, "closing_note": "Done"}
        )
    assert "Residual score due for review" in text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    db.session.rollback()
    risk = db.session.get(type(risk), risk.id)
    url = f"/risks/{risk.id}/edit"
    clients["risk_manager"].post(
        url, data=edited(clients["risk_manager"], url, "risk-form", residual_likelihood="2")
    )
    assert "Residual score due for review" not in text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))


def test_closing_without_a_note_changes_nothing(clients, setup):
    control = setup["security"]
    response = clients["department_head"].post(
        f"/controls/{control.id}/close", data={"version": control.version, "closing_note": "  "}
    )
    assert response.status_code == 200
    assert "Write a closing note" in text_of(response)
    assert fresh(control.id).status is ControlStatus.PLANNED
    assert actions("control", control.id) == ["create", "link"]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("start", {}),
        ("note", {"body": "Sneaky"}),
        ("close", {"closing_note": "Not mine to close"}),
        ("evidence", {"evidence": [(io.BytesIO(PDF), "x.pdf")]}),
        ("verify", {"effectiveness": "effective"}),
        ("reopen", {"reason": "x"}),
        ("cancel", {"reason": "x"}),
        ("edit", {"title": "Hijacked"}),
    ],
)
def test_a_head_cannot_touch_another_departments_control_even_posting_directly(clients, setup, path, data):
    legal = setup["legal"]
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    data = {"version": legal.version, **data}
    response = clients["department_head"].post(
        f"/controls/{legal.id}/{path}", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(ControlNote.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 0
    assert (
        fresh(legal.id).status is ControlStatus.PLANNED
        and fresh(legal.id).title == "Human-rights due diligence"
    )


def test_a_head_never_changes_risks_and_an_executive_changes_nothing(clients, setup):
    risk, control = setup["risk"], setup["security"]
    head, executive = clients["department_head"], clients["executive"]
    assert head.post(f"/risks/{risk.id}/controls/new", data={"title": "x"}).status_code == 403
    assert head.post(f"/risks/{risk.id}/confirm-residual").status_code == 403
    assert head.post(f"/risks/{risk.id}/controls/{control.id}/unlink").status_code == 403
    for path in ("start", "note", "close"):
        assert (
            executive.post(f"/controls/{control.id}/{path}", data={"version": control.version}).status_code
            == 403
        )
    assert "Close as implemented" not in text_of(executive.get(f"/controls/{control.id}"))


def test_two_people_closing_at_once_one_wins_the_other_sees_who(clients, setup, users, login, make_user):
    control = setup["security"]
    version = control.version  # both pages were loaded at this version
    first = clients["department_head"]
    second = clients["risk_manager"]
    assert (
        first.post(
            f"/controls/{control.id}/close", data={"version": version, "closing_note": "Done by the head"}
        ).status_code
        == 302
    )
    response = second.post(
        f"/controls/{control.id}/close",
        data={
            "version": version,
            "closing_note": "Done by the manager",
            "evidence": [(io.BytesIO(PDF), "late.pdf")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = text_of(response)
    assert "closed as implemented by Sam Security" in text and "Nothing you entered was saved" in text
    control = fresh(control.id)
    assert control.closing_note == "Done by the head" and control.closed_by_id == users["department_head"].id
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 0
    assert actions("control", control.id).count("close") == 1


def test_a_stale_form_cannot_start_a_control_someone_else_closed(clients, setup):
    control = setup["security"]
    version = control.version
    clients["risk_manager"].post(
        f"/controls/{control.id}/close", data={"version": version, "closing_note": "Done"}
    )
    response = clients["department_head"].post(
        f"/controls/{control.id}/start", data={"version": version, "return_to": "mine"}, follow_redirects=True
    )
    assert "closed as implemented by Rhea Risk" in text_of(response)
    assert fresh(control.id).status is ControlStatus.IMPLEMENTED


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("start", {}),
        ("close", {"closing_note": "Done"}),
        ("verify", {"effectiveness": "effective"}),
        ("reopen", {"reason": "Signs gone"}),
        ("cancel", {"reason": "Duplicate"}),
    ],
)
@pytest.mark.parametrize("version", [None, "", "abc", "0", "1e3"])
def test_an_action_without_a_numeric_version_is_a_400(clients, setup, action, data, version):
    control = setup["security"]
    posted = data if version is None else {**data, "version": version}
    response = clients["risk_manager"].post(f"/controls/{control.id}/{action}", data=posted)
    assert response.status_code == 400
    assert "does not say which version of the control it was opened at" in text_of(response)
    assert fresh(control.id).status is ControlStatus.PLANNED


def test_reopen_needs_a_reason_and_goes_back_to_the_department(clients, setup):
    control = setup["security"]
    manager = clients["risk_manager"]
    manager.post(f"/controls/{control.id}/close", data={"version": control.version, "closing_note": "Done"})
    control = fresh(control.id)
    response = manager.post(f"/controls/{control.id}/reopen", data={"version": control.version, "reason": ""})
    assert response.status_code == 200 and "Say why the control is reopened." in text_of(response)
    assert fresh(control.id).status is ControlStatus.IMPLEMENTED
    manager.post(
        f"/controls/{control.id}/reopen", data={"version": control.version, "reason": "Guards not trained"}
    )
    assert fresh(control.id).status is ControlStatus.IN_PROGRESS
    mine = text_of(clients["department_head"].get("/controls/mine"))
    assert control.title in mine
    assert "Guards not trained" in text_of(clients["department_head"].get(f"/controls/{control.id}"))


def test_verify_needs_a_rating(clients, setup):
    control = setup["security"]
    manager = clients["risk_manager"]
    manager.post(f"/controls/{control.id}/close", data={"version": control.version, "closing_note": "Done"})
    control = fresh(control.id)
    for rating in ("", "not_assessed", "excellent"):
        response = manager.post(
            f"/controls/{control.id}/verify", data={"version": control.version, "effectiveness": rating}
        )
        assert "Rate how effective the control is" in text_of(response)
    assert fresh(control.id).status is ControlStatus.IMPLEMENTED


def test_cancel_needs_a_reason_and_a_cancelled_control_does_not_count(clients, setup):
    legal, security = setup["legal"], setup["security"]
    manager = clients["risk_manager"]
    response = manager.post(f"/controls/{legal.id}/cancel", data={"version": legal.version, "reason": ""})
    assert "Say why the control is cancelled." in text_of(response)
    manager.post(
        f"/controls/{legal.id}/cancel", data={"version": legal.version, "reason": "Duplicate of C-0001"}
    )
    manager.post(f"/controls/{security.id}/close", data={"version": security.version, "closing_note": "Done"})
    assert fresh(legal.id).status is ControlStatus.CANCELLED
    assert "Residual score due for review" in text_of(manager.get(f"/risks/{setup['risk'].id}"))


def test_progress_note_is_required(clients, setup):
    control = setup["security"]
    response = clients["department_head"].post(f"/controls/{control.id}/note", data={"body": ""})
    assert response.status_code == 200 and "Write the progress note." in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ControlNote.id))) == 0


def test_counts_do_not_include_a_control_twice_when_it_mitigates_two_risks(clients, users, make_risk):
    a, b = make_risk(title="A"), make_risk(title="B")
    new_control(users["risk_manager"], "Security", [a, b])
    assert "All departments 1 0 0 0 0 0 0 0 1" in text_of(clients["executive"].get("/controls"))
    assert db.session.scalar(sa.select(sa.func.count(Control.id))) == 1
