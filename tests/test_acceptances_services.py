"""Acceptance rules in the service layer: request, authority, decision, voiding, expiry, extension."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.acceptances import services
from riskreg.acceptances.models import Acceptance, AcceptanceState
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import bulk
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk, Treatment
from tests.acceptance_support import EXTREME, JUSTIFICATION, MEDIUM, count, request


def fields(risk: Risk) -> dict:
    return {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}


def test_a_request_sets_accept_but_the_risk_is_only_pending(make_risk, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    assert acceptance.state is AcceptanceState.PENDING
    assert (acceptance.residual_score, acceptance.residual_band) == (16, "extreme")
    assert acceptance.previous_treatment == "reduce"
    db.session.refresh(risk)
    assert risk.treatment is Treatment.ACCEPT
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_id == risk.id, AuditEvent.action == "acceptance_requested"
        )
    )
    assert event.changes["treatment"] == ["reduce", "accept"] and event.note == JUSTIFICATION


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"justification": "  "}, "justification", "Say why"),
        ({"expires_on": None}, "expires_on", "Give the date"),
        ({"expires_on": today()}, "expires_on", "must lie ahead"),
        ({"expires_on": today() - timedelta(days=3)}, "expires_on", "must lie ahead"),
        (
            {"expires_on": services.add_months(today(), 12) + timedelta(days=1)},
            "expires_on",
            "at most 12 months",
        ),
        ({"approver_id": None}, "approver_id", "Choose the approver"),
    ],
)
def test_bad_requests_are_refused_with_nothing_written(make_risk, users, over, field, message):
    risk = make_risk(**EXTREME)
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    with pytest.raises(services.AcceptanceError) as error:
        request(risk, users["risk_manager"], users["executive"], **over)
    assert error.value.field == field and message in str(error.value)
    db.session.rollback()
    assert count() == 0 and db.session.get(Risk, risk.id).treatment is Treatment.REDUCE
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


def test_the_limit_is_configurable(app, make_risk, users):
    app.config["ACCEPTANCE_MAX_MONTHS"] = 3
    risk = make_risk(**EXTREME)
    with pytest.raises(services.AcceptanceError, match="at most 3 months"):
        request(risk, users["risk_manager"], users["executive"], days=100)
    assert request(risk, users["risk_manager"], users["executive"], days=85).state is AcceptanceState.PENDING


def test_the_approver_needs_the_authority_of_the_band(make_risk, make_user, users):
    extreme, medium = make_risk(**EXTREME), make_risk(**MEDIUM, title="Dust")
    other_manager = make_user(Role.RISK_MANAGER, name="Otto Other")
    with pytest.raises(services.AcceptanceError, match="an executive"):
        request(extreme, users["risk_manager"], other_manager)
    with pytest.raises(services.AcceptanceError, match="an executive"):
        request(extreme, users["risk_manager"], users["admin"])
    with pytest.raises(services.AcceptanceError, match="Someone else"):
        request(medium, users["risk_manager"], users["risk_manager"])
    with pytest.raises(services.AcceptanceError, match="cannot approve"):
        request(medium, users["risk_manager"], users["department_head"])
    assert request(medium, users["risk_manager"], other_manager).approver_id == other_manager.id
    choices = services.approver_choices(extreme, users["risk_manager"])
    assert [user.role for user in choices] == [Role.EXECUTIVE]


def test_accept_cannot_be_set_by_the_form_the_service_or_the_import(make_risk, users):
    risk = make_risk()
    with pytest.raises(risk_services.RiskRuleError, match="Request acceptance"):
        risk_services.update_risk(
            risk, {**fields(risk), "treatment": Treatment.ACCEPT}, users["admin"], risk.version
        )
    db.session.rollback()
    with pytest.raises(risk_services.RiskRuleError, match="Request acceptance"):
        make_risk(treatment=Treatment.ACCEPT, title="New and accepted")
    db.session.rollback()
    risk = db.session.get(Risk, risk.id)
    edit = bulk.Edit(risk, risk.version, {**fields(risk), "treatment": Treatment.ACCEPT})
    with pytest.raises(risk_services.RiskRuleError):
        bulk.update_risks([edit], users["admin"], bulk.Names({}, {}))
    db.session.rollback()
    assert db.session.get(Risk, risk.id).treatment is Treatment.REDUCE


def test_a_risk_already_accepted_keeps_accept_on_other_edits(make_risk, users):
    risk = make_risk(**EXTREME)
    request(risk, users["risk_manager"], users["executive"])
    risk = db.session.get(Risk, risk.id)
    changes = risk_services.update_risk(
        risk, {**fields(risk), "title": "Renamed"}, users["admin"], risk.version
    )
    assert "treatment" not in changes


def test_approval_by_the_executive_makes_it_active(make_risk, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    services.decide(acceptance, True, "Agreed", users["executive"])
    db.session.commit()
    assert acceptance.state is AcceptanceState.ACTIVE and acceptance.decided_by_id == users["executive"].id


def test_nobody_decides_their_own_request_or_without_authority(make_risk, make_user, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["admin"], users["executive"])
    with pytest.raises(services.AcceptanceError, match="someone else must decide"):
        services.decide(acceptance, True, "", users["admin"])
    with pytest.raises(services.AcceptanceError, match="an executive"):
        services.decide(acceptance, True, "", users["risk_manager"])
    db.session.rollback()
    assert db.session.get(Acceptance, acceptance.id).state is AcceptanceState.PENDING
    executive_requester = make_user(Role.EXECUTIVE, name="Exec Two")
    medium = make_risk(**MEDIUM, title="Dust")
    own = request(medium, executive_requester, users["risk_manager"])
    with pytest.raises(services.AcceptanceError, match="someone else must decide"):
        services.decide(own, True, "", executive_requester)


def test_rejection_needs_a_note_and_restores_the_treatment(make_risk, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    with pytest.raises(services.AcceptanceError, match="why the acceptance is rejected"):
        services.decide(acceptance, False, "  ", users["executive"])
    services.decide(acceptance, False, "Treat it: fence the pit.", users["executive"])
    db.session.commit()
    assert acceptance.state is AcceptanceState.REJECTED
    assert db.session.get(Risk, risk.id).treatment is Treatment.REDUCE


def test_a_decided_request_cannot_be_decided_again(make_risk, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    services.decide(acceptance, True, "", users["executive"])
    with pytest.raises(services.AcceptanceError, match="nothing to decide"):
        services.decide(acceptance, False, "no", users["executive"])


def test_a_second_request_waits_while_one_is_pending(make_risk, users):
    risk = make_risk(**EXTREME)
    request(risk, users["risk_manager"], users["executive"])
    with pytest.raises(services.AcceptanceError, match="already has an acceptance request"):
        request(risk, users["risk_manager"], users["executive"])


def test_a_residual_increase_voids_the_acceptance_and_a_decrease_does_not(make_risk, users):
    risk = make_risk(**MEDIUM)  # residual 2 x 3 = 6
    acceptance = request(risk, users["risk_manager"], users["admin"])
    services.decide(acceptance, True, "", users["admin"])
    db.session.commit()
    risk = db.session.get(Risk, risk.id)
    risk_services.update_risk(risk, {**fields(risk), "residual_likelihood": 1}, users["admin"], risk.version)
    db.session.commit()
    assert db.session.get(Acceptance, acceptance.id).state is AcceptanceState.ACTIVE
    risk = db.session.get(Risk, risk.id)
    risk_services.update_risk(risk, {**fields(risk), "residual_likelihood": 3}, users["admin"], risk.version)
    db.session.commit()
    voided = db.session.get(Acceptance, acceptance.id)
    assert voided.state is AcceptanceState.VOIDED and "rose from 6 to 9" in voided.end_reason
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_id == risk.id).order_by(AuditEvent.id)
    ).all()
    # the edit, the reassessment it is (riskreg.reviews), then the voided acceptance
    assert actions[-3:] == ["update", "review", "acceptance_voided"]


def test_the_import_voids_on_an_increase_too(make_risk, users):
    risk = make_risk(**MEDIUM)
    acceptance = request(risk, users["risk_manager"], users["admin"])
    risk = db.session.get(Risk, risk.id)
    edit = bulk.Edit(risk, risk.version, {**fields(risk), "residual_impact": 4})
    bulk.update_risks([edit], users["admin"], bulk.Names({}, {}))
    db.session.commit()
    assert db.session.get(Acceptance, acceptance.id).state is AcceptanceState.VOIDED


def test_expiry_warns_once_then_expires_and_puts_the_risk_back_to_review(make_risk, users):
    risk = make_risk(**EXTREME, next_review_date=today() + timedelta(days=200))
    acceptance = request(risk, users["risk_manager"], users["executive"], days=60)
    services.decide(acceptance, True, "", users["executive"])
    db.session.commit()
    assert services.expire(today() + timedelta(days=29)) == ([], [])
    warned, ended = services.expire(today() + timedelta(days=30))
    assert [a.id for a in warned] == [acceptance.id] and ended == []
    assert services.expire(today() + timedelta(days=31)) == ([], [])  # warned once
    expiry = acceptance.expires_on
    warned, ended = services.expire(expiry + timedelta(days=2))
    db.session.commit()
    assert [a.id for a in ended] == [acceptance.id]
    assert services.expire(expiry + timedelta(days=3)) == ([], [])  # idempotent
    risk = db.session.get(Risk, risk.id)
    assert acceptance.state is AcceptanceState.EXPIRED
    assert risk.next_review_date == expiry + timedelta(days=2)
    assert "needs review" in services.needs_review(risk, services.current(risk.id))


def test_an_extension_needs_a_new_approval_and_replaces_the_old_one(make_risk, users):
    risk = make_risk(**EXTREME)
    first = request(risk, users["risk_manager"], users["executive"], days=20)
    services.decide(first, True, "", users["executive"])
    db.session.commit()
    second = request(risk, users["risk_manager"], users["executive"], days=200)
    assert first.state is AcceptanceState.ACTIVE and second.state is AcceptanceState.PENDING
    services.decide(second, True, "", users["executive"])
    db.session.commit()
    assert first.state is AcceptanceState.SUPERSEDED and second.state is AcceptanceState.ACTIVE


def test_leaving_accept_voids_the_acceptance(make_risk, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    services.decide(acceptance, True, "", users["executive"])
    db.session.commit()
    risk = db.session.get(Risk, risk.id)
    risk_services.update_risk(
        risk, {**fields(risk), "treatment": Treatment.AVOID}, users["admin"], risk.version
    )
    db.session.commit()
    voided = db.session.get(Acceptance, acceptance.id)
    assert voided.state is AcceptanceState.VOIDED and "treatment changed to Avoid" in voided.end_reason


def test_the_demo_has_an_active_and_a_pending_acceptance(app):
    from riskreg.seeding import demo

    demo.load_demo()
    db.session.commit()
    states = db.session.scalars(sa.select(Acceptance.state)).all()
    assert states.count(AcceptanceState.PENDING) == 1 and AcceptanceState.ACTIVE in states
    pending = db.session.scalar(sa.select(Acceptance).where(Acceptance.state == AcceptanceState.PENDING))
    assert db.session.get(Risk, pending.risk_id).treatment is Treatment.ACCEPT


def test_the_import_leaving_accept_voids_with_the_new_treatment_named(make_risk, users):
    risk = make_risk(**EXTREME)
    acceptance = request(risk, users["risk_manager"], users["executive"])
    risk = db.session.get(Risk, risk.id)
    edit = bulk.Edit(risk, risk.version, {**fields(risk), "treatment": Treatment.TRANSFER})
    bulk.update_risks([edit], users["admin"], bulk.Names({}, {}))
    db.session.commit()
    voided = db.session.get(Acceptance, acceptance.id)
    assert voided.state is AcceptanceState.VOIDED and "changed to Transfer" in voided.end_reason
