"""Critical controls: a standard is required, a schedule needs a verifier, planning is idempotent,
a verification answers every check, a fail needs an immediate action and a rating; append-only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from riskreg.controls.models import Effectiveness, RiskControl
from riskreg.critical import queries, services
from riskreg.critical.models import (
    Answer,
    Frequency,
    PerformanceStandard,
    Result,
    Verification,
    VerificationSchedule,
    VerificationTask,
)
from riskreg.extensions import db
from riskreg.modeling import today
from tests.conftest import department_id
from tests.controls_support import new_control
from tests.critical_support import CHECKS, answers, make_critical


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def control(users, make_risk):
    risk = make_risk()
    return new_control(users["risk_manager"], "Security", risks=[risk], title="VPSHR training of guards")


def test_a_critical_control_needs_its_reason_and_a_standard(control, users):
    actor = users["risk_manager"]
    with pytest.raises(services.CriticalError, match="why the control is critical"):
        services.mark_critical(control, " ", "Objective", CHECKS, actor)
    with pytest.raises(services.CriticalError, match="at least one check"):
        services.mark_critical(control, "Its failure hurts people", "Every guard trained", [], actor)
    with pytest.raises(services.CriticalError, match="objective"):
        services.mark_critical(control, "Its failure hurts people", "", CHECKS, actor)
    with pytest.raises(services.CriticalError, match="Check 1: give the question and the answer"):
        services.mark_critical(control, "Reason", "Objective", [services.CheckInput("Q?", "")], actor)
    db.session.rollback()
    assert count(PerformanceStandard) == 0
    assert not db.session.get(type(control), control.id).critical


def test_marking_critical_keeps_the_standard_and_retires_dropped_checks(control, users):
    actor = users["risk_manager"]
    services.mark_critical(control, "Its failure hurts people", "Every guard trained", CHECKS, actor)
    db.session.commit()
    first = services.active_checks(services.standard_of(control))
    services.set_standard(
        control, "Every guard trained", [CHECKS[0], services.CheckInput("New?", "Yes")], actor
    )
    db.session.commit()
    now = services.active_checks(services.standard_of(control))
    assert [c.question for c in now] == [CHECKS[0].question, "New?"]
    assert now[0].id == first[0].id  # same question, same check
    assert control.critical and control.critical_reason == "Its failure hurts people"


def test_a_schedule_needs_a_verifier_and_a_critical_control(control, users):
    actor = users["risk_manager"]
    with pytest.raises(services.CriticalError, match="not critical"):
        services.set_schedule(control, Frequency.MONTHLY, department_id("Security"), [], None, actor)
    services.mark_critical(control, "Reason", "Objective", CHECKS, actor)
    with pytest.raises(services.CriticalError, match="needs a verifier"):
        services.set_schedule(control, Frequency.MONTHLY, None, [], None, actor)
    with pytest.raises(services.CriticalError, match="how often"):
        services.set_schedule(control, "weekly-ish", department_id("Security"), [], None, actor)
    db.session.rollback()
    assert count(VerificationSchedule) == 0


def test_plan_creates_each_period_once(control, users):
    make_critical(control, users["risk_manager"], verifier="Legal", starts_on=date(2026, 1, 31))
    assert services.plan(date(2026, 3, 15)) == 2
    db.session.commit()
    assert services.plan(date(2026, 3, 15)) == 0
    db.session.commit()
    tasks = list(db.session.scalars(sa.select(VerificationTask).order_by(VerificationTask.due_on)))
    assert [(t.period_start, t.due_on) for t in tasks] == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
    ]
    assert {t.department_id for t in tasks} == {department_id("Legal")}  # the verifier, not the owner


def test_plan_skips_a_control_no_longer_critical(control, users):
    make_critical(control, users["risk_manager"], starts_on=today() - timedelta(days=40))
    services.unmark_critical(control, "Downgraded after the review", users["risk_manager"])
    db.session.commit()
    assert services.plan() == 0


def test_a_verification_must_answer_every_check(control, users):
    make_critical(control, users["risk_manager"])
    short = answers(control)[:1]
    with pytest.raises(
        services.CriticalError, match=r"Answer every check of the standard \(2\); 1 not answered"
    ):
        services.record_verification(control, short, users["department_head"])
    blank = [services.AnswerInput(a.check_id, "") for a in answers(control)]
    with pytest.raises(services.CriticalError, match="2 not answered"):
        services.record_verification(control, blank, users["department_head"])
    db.session.rollback()
    assert count(Verification) == 0


def test_a_fail_needs_an_immediate_action_and_a_rating(control, users):
    make_critical(control, users["risk_manager"])
    failing = answers(control, Answer.FAIL)
    with pytest.raises(services.CriticalError, match="immediate action"):
        services.record_verification(control, failing, users["department_head"], effectiveness="ineffective")
    with pytest.raises(services.CriticalError, match="partially effective or ineffective"):
        services.record_verification(
            control,
            failing,
            users["department_head"],
            immediate_action="Guards stood down",
            effectiveness="effective",
        )
    db.session.rollback()
    assert count(Verification) == 0


def test_a_pass_answers_the_open_task_on_time(control, users):
    make_critical(control, users["risk_manager"], starts_on=today() - timedelta(days=3))
    services.plan()
    db.session.commit()
    verification = services.record_verification(
        control, answers(control), users["department_head"], findings="All good"
    )
    db.session.commit()
    assert verification.result is Result.PASSED and verification.effectiveness is None
    task = db.session.scalar(sa.select(VerificationTask))
    assert task.done_at is not None and task.on_time and verification.task_id == task.id
    link = db.session.scalar(sa.select(RiskControl))
    assert link.effectiveness is None  # a pass leaves the rating to a person


def test_a_correction_is_a_new_verification_referencing_the_first(control, users):
    make_critical(control, users["risk_manager"])
    first = services.record_verification(control, answers(control), users["department_head"])
    db.session.commit()
    second = services.record_verification(
        control, answers(control), users["department_head"], findings="Date was wrong", corrects=first
    )
    db.session.commit()
    assert second.corrects_id == first.id
    assert count(Verification) == 2
    other = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    make_critical(other, users["risk_manager"])
    with pytest.raises(services.CriticalError, match="same control"):
        services.record_verification(other, answers(other), users["risk_manager"], corrects=first)


def test_compliance_over_twelve_months(control, users):
    make_critical(control, users["risk_manager"], starts_on=today() - timedelta(days=75))
    services.plan()
    db.session.commit()
    services.record_verification(control, answers(control), users["department_head"])  # the oldest task, late
    db.session.commit()
    [row] = queries.critical_rows()
    assert row.due_12m == 2 and row.on_time_12m == 0 and row.compliance == 0
    assert row.overdue == 1 and row.state == "overdue"
    assert queries.dashboard_counts().overdue == 1


def test_the_dashboard_counts_each_state_as_the_critical_page_does(control, users):
    manager, head = users["risk_manager"], users["department_head"]
    make_critical(control, manager, starts_on=today() - timedelta(days=75))  # tasks past due
    passed, failed, unverified = (
        make_critical(new_control(manager, "Legal", title=title, owner_id=manager.id), manager)
        for title in ("Passed", "Failed", "Never verified")
    )
    services.plan()
    db.session.commit()
    services.record_verification(passed, answers(passed), head)
    services.record_verification(
        failed,
        answers(failed, Answer.FAIL),
        head,
        immediate_action="Guards stood down",
        effectiveness="ineffective",
    )
    db.session.commit()
    rows = queries.critical_rows()
    assert {row.control.title: row.state for row in rows} == {
        control.title: "overdue",
        "Passed": "on_time",
        "Failed": "failed",
        "Never verified": "not_verified",
    }
    assert (
        queries.dashboard_counts() == queries.dashboard_counts_of(rows) == queries.CriticalCounts(1, 1, 1, 1)
    )
    later = services.record_verification(failed, answers(failed), head)  # a pass after the fail
    db.session.commit()
    assert later.result is Result.PASSED
    assert queries.dashboard_counts() == queries.CriticalCounts(on_time=2, overdue=1, not_verified=1)


def test_not_critical_cannot_be_verified(control, users):
    with pytest.raises(services.CriticalError, match="not a critical control"):
        services.record_verification(control, [], users["risk_manager"])
    assert Effectiveness.NOT_ASSESSED.value == "not_assessed"


def test_the_plan_command_is_idempotent_and_refuses_a_bad_date(control, users, runner):
    make_critical(control, users["risk_manager"], starts_on=date(2026, 1, 1), frequency=Frequency.QUARTERLY)
    result = runner.invoke(args=["verifications", "plan", "--today", "2026-07-01"])
    assert result.exit_code == 0 and "Planned 3 verification tasks." in result.output, result.output
    assert (
        runner.invoke(args=["verifications", "plan", "--today", "2026-07-01"]).output
        == "Planned 0 verification tasks.\n"
    )
    bad = runner.invoke(args=["verifications", "plan", "--today", "01/07/2026"])
    assert bad.exit_code == 2 and "is not a date: give it as YYYY-MM-DD" in bad.output
    assert count(VerificationTask) == 3
