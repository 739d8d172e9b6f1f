"""A critical control verified by the head of the verifying department: the due task in My controls
and My work, a failed check rates the control for its risks, flags them with the reason, mails the
owner, and /controls/critical and the dashboard follow. Bad input: a message, nothing written."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.auth.models import Role
from riskreg.controls.models import Control, ControlEvidence, Effectiveness, RiskControl
from riskreg.critical import services
from riskreg.critical.models import PerformanceStandard, Verification, VerificationTask
from riskreg.extensions import db
from riskreg.indicators.models import ReviewFlag
from riskreg.mail import OutboxMessage
from riskreg.modeling import today
from tests.conftest import department_id, text_of
from tests.controls_support import PDF, new_control
from tests.critical_support import make_critical


@pytest.fixture
def setup(make_risk, make_user, users, login):
    risk = make_risk(title="Security forces harm community members")
    control = new_control(users["risk_manager"], "Security", risks=[risk], title="VPSHR training of guards")
    make_critical(control, users["risk_manager"], verifier="Legal", starts_on=today() - timedelta(days=40))
    services.plan()
    db.session.commit()
    legal_head = make_user(Role.DEPARTMENT_HEAD, department="Legal", name="Lena Legal")
    return {"risk": risk, "control": control, "verifier": login(legal_head), "checks": check_ids(control)}


def check_ids(control: Control) -> list[int]:
    return [c.id for c in services.active_checks(services.standard_of(control))]


def form(checks: list[int], *answers: str, **fields) -> dict:
    data = {f"answer-{ident}": answers[i] if i < len(answers) else "pass" for i, ident in enumerate(checks)}
    data.update(fields)
    return data


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_verifier_sees_the_due_tasks_in_my_controls_and_my_work(setup):
    mine = text_of(setup["verifier"].get("/controls/mine"))
    assert "Critical controls to verify (2, 1 overdue )" in mine and "VPSHR training of guards" in mine
    work = text_of(setup["verifier"].get("/me"))
    assert "Verifications due" in work and "days overdue" in work


def test_a_failed_check_rates_flags_and_tells_the_owner(setup, users, clients, smtp):
    risk, control, checks = setup["risk"], setup["control"], setup["checks"]
    data = form(
        checks,
        "pass",
        "fail",
        findings="Two new guards not trained",
        immediate_action="The two guards were stood down until trained",
        effectiveness="partially_effective",
        corrective_title="Train the two new guards",
        corrective_department_id=str(department_id("Security")),
        corrective_due_date=(today() + timedelta(days=14)).isoformat(),
    )
    data["evidence"] = (io.BytesIO(PDF), "roster.pdf")
    response = setup["verifier"].post(
        f"/controls/{control.id}/verifications/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, text_of(response)
    db.session.rollback()
    verification = db.session.scalar(sa.select(Verification))
    assert verification.failed and verification.effectiveness is Effectiveness.PARTIALLY_EFFECTIVE
    link = db.session.get(RiskControl, (risk.id, control.id))
    assert link.effectiveness is Effectiveness.PARTIALLY_EFFECTIVE
    flag = db.session.scalar(sa.select(ReviewFlag).where(ReviewFlag.risk_id == risk.id))
    assert flag.verification_id == verification.id and "failed its verification" in flag.reason
    assert "Was the refresher held this quarter?" in flag.reason
    evidence = db.session.scalar(sa.select(ControlEvidence))
    assert evidence.verification_id == verification.id and evidence.original_name == "roster.pdf"
    corrective = db.session.get(Control, verification.corrective_control_id)
    assert corrective.title == "Train the two new guards" and [
        r.risk_id for r in corrective_risks(corrective)
    ] == [risk.id]
    # the oldest task is answered
    done = db.session.scalars(sa.select(VerificationTask).where(VerificationTask.done_at.is_not(None))).all()
    assert len(done) == 1

    [message] = smtp.to(users["risk_manager"].email)
    assert f"Critical control {control.ref} failed its verification" in message["Subject"]
    body = message.get_content()
    assert "The two guards were stood down until trained" in body and f"/risks/{risk.id}" in body
    assert db.session.scalar(sa.select(OutboxMessage.kind).where(OutboxMessage.kind == "verification_failed"))

    page = text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    assert "Flagged for review" in page and "failed its verification" in page
    critical = text_of(clients["executive"].get("/controls/critical"))
    assert "Failed " + today().isoformat() in critical
    dash = clients["executive"].get("/dashboard").get_data(as_text=True)
    assert "Critical controls: verified on time / failed / overdue" in dash
    svg = clients["executive"].get(f"/risks/{risk.id}/bowtie.svg").get_data(as_text=True)
    assert "last verification failed" in svg and "partially effective for this risk" in svg


def corrective_risks(control: Control):
    return db.session.scalars(sa.select(RiskControl).where(RiskControl.control_id == control.id)).all()


def test_another_department_head_may_not_verify(setup, clients):
    control = setup["control"]
    assert clients["department_head"].get(f"/controls/{control.id}/verifications/new").status_code == 403
    response = clients["department_head"].post(
        f"/controls/{control.id}/verifications/new", data=form(setup["checks"])
    )
    assert response.status_code == 403 and count(Verification) == 0


@pytest.mark.parametrize(
    ("answers", "fields", "message"),
    [
        (("pass",), {}, "Answer every check of the standard (2); 1 not answered"),
        (("fail", "pass"), {"effectiveness": "ineffective"}, "say what was done at once"),
        (("fail", "pass"), {"immediate_action": "Stood down"}, "partially effective or ineffective"),
        (("pass", "pass"), {"performed_on": "31/12/2026"}, "is not a date"),
    ],
)
def test_bad_input_says_why_and_writes_nothing(setup, answers, fields, message):
    checks = setup["checks"]
    data = form(checks, *answers, **fields)
    if len(answers) == 1:
        data.pop(f"answer-{checks[1]}")
    mails = count(OutboxMessage)
    response = setup["verifier"].post(f"/controls/{setup['control'].id}/verifications/new", data=data)
    assert response.status_code == 200
    assert message in text_of(response) and "Nothing was saved" in text_of(response)
    assert count(Verification) == 0 and count(ReviewFlag) == 0 and count(OutboxMessage) == mails


def test_marking_critical_without_a_standard_is_refused(make_risk, users, clients):
    control = new_control(users["risk_manager"], "Security", risks=[make_risk()])
    response = clients["risk_manager"].post(
        f"/controls/{control.id}/critical",
        data={"critical_reason": "Failure hurts people", "objective": "Trained"},
    )
    assert response.status_code == 200 and "at least one check" in text_of(response)
    assert count(PerformanceStandard) == 0
    response = clients["risk_manager"].post(
        f"/controls/{control.id}/critical",
        data={
            "critical_reason": "Failure hurts people",
            "objective": "Trained",
            "question-0": "All trained?",
            "expected-0": "Yes",
        },
    )
    assert response.status_code == 302
    response = clients["risk_manager"].post(
        f"/controls/{control.id}/schedule", data={"frequency": "monthly"}, follow_redirects=True
    )
    assert "a schedule needs a verifier" in text_of(response)
    db.session.rollback()
    assert db.session.get(Control, control.id).critical
