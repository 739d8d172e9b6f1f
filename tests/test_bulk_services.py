"""Bulk changes at the service level: every item through update_risk / update_control (their rules
hold), one audit event per item, a version check per item (stale items listed and left alone),
more than 500 refused, a rule broken by one item refuses the whole change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg import audit
from riskreg.auth.models import Role
from riskreg.bulk import services
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk, RiskStatus
from tests.conftest import department_id
from tests.controls_support import new_control


def seen(*items) -> dict[int, int]:
    return {item.id: item.version for item in items}


def test_risks_change_owner_each_with_its_own_audit_event(make_risk, users):
    risks = [make_risk(title=f"Risk {n}") for n in range(3)]
    versions = [risk.version for risk in risks]
    result = services.change_risks(seen(*risks), {"owner_id": users["executive"].id}, users["risk_manager"])
    db.session.commit()
    assert result.changed == [risk.ref for risk in risks] and result.stale == []
    for risk, version in zip(risks, versions, strict=True):
        db.session.refresh(risk)
        assert risk.owner_id == users["executive"].id and risk.version == version + 1
        event = audit.history("risk", risk.id)[0]
        assert event.action == "update" and event.changes == {"owner": ["Rhea Risk", "Eve Exec"]}
    assert result.message("risk") == "3 risks changed."


def test_a_stale_risk_is_listed_and_left_alone_while_the_others_apply(make_risk, users):
    fresh, stale = make_risk(title="Fresh"), make_risk(title="Stale")
    page = seen(fresh, stale)  # what the page showed
    data = {name: getattr(stale, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(stale, {**data, "title": "Stale, edited"}, users["admin"], stale.version)
    db.session.commit()  # someone saved it after the page was loaded
    when = today() + timedelta(days=20)
    result = services.change_risks(page, {"next_review_date": when}, users["risk_manager"])
    db.session.commit()
    assert result.changed == [fresh.ref] and result.stale == [stale.ref]
    assert fresh.next_review_date == when and stale.next_review_date != when
    assert (
        f"Left alone, because someone changed them after you loaded the page: {stale.ref}"
        in result.message("risk")
    )


def test_status_and_site_go_through_the_rules_and_a_broken_rule_refuses_all(make_risk, make_site, users):
    site = make_site()
    first, archived = make_risk(title="First"), make_risk(title="Archived")
    risk_services.archive_risk(archived, users["risk_manager"])
    db.session.commit()
    with pytest.raises(services.BulkError, match=f"{archived.ref}: .*archived"):
        services.change_risks(seen(first, archived), {"site_id": site.id}, users["risk_manager"])
    db.session.rollback()
    assert db.session.get(Risk, first.id).site_id is None  # the view rolls back: nothing written
    with pytest.raises(services.BulkError, match="Archive risks one by one"):
        services.change_risks(seen(first), {"status": RiskStatus.ARCHIVED}, users["risk_manager"])
    result = services.change_risks(
        seen(first), {"status": RiskStatus.CLOSED, "site_id": site.id}, users["admin"]
    )
    db.session.commit()
    assert result.changed == [first.ref] and (first.status, first.site_id) == (RiskStatus.CLOSED, site.id)
    with pytest.raises(services.BulkError, match="owner does not exist"):
        services.change_risks(seen(first), {"owner_id": 999_999}, users["admin"])


def test_more_than_500_items_are_refused_before_anything_is_read():
    with pytest.raises(services.BulkError, match="501 items selected: a bulk change takes at most 500"):
        services.parse_items([f"{n}:1" for n in range(1, 502)])
    assert services.parse_items([f"{n}:1" for n in range(1, 501)])[500] == 1
    for bad in (["x:1"], ["1"], ["1:-2"]):
        with pytest.raises(services.BulkError, match="not one the page offered"):
            services.parse_items(bad)


def test_only_risk_managers_and_admins_change_risks_in_bulk(make_risk, users):
    risk = make_risk()
    for role in ("department_head", "executive"):
        with pytest.raises(services.BulkForbidden):
            services.change_risks(seen(risk), {"status": RiskStatus.DRAFT}, users[role])


def test_a_manager_moves_controls_to_another_department_and_its_head_becomes_owner(users, make_user):
    legal_head = make_user(Role.DEPARTMENT_HEAD, department="Legal", name="Lena Legal")
    controls = [new_control(users["risk_manager"], "Security") for _ in range(2)]
    assert {c.owner_id for c in controls} == {users["department_head"].id}
    result = services.change_controls(
        seen(*controls), {"department_id": department_id("Legal")}, users["risk_manager"]
    )
    db.session.commit()
    assert len(result.changed) == 2
    for control in controls:
        assert (control.department_id, control.owner_id) == (department_id("Legal"), legal_head.id)
        event = audit.history("control", control.id)[0]
        assert (
            event.changes["department"] == ["Security", "Legal"] and event.changes["owner"][1] == "Lena Legal"
        )


def test_the_assignment_rules_hold_in_bulk(users, make_user):
    control = new_control(users["risk_manager"], "Security")
    legal_person = make_user(Role.DEPARTMENT_HEAD, department="Legal", name="Lena Legal")
    with pytest.raises(services.BulkError, match="belongs to another department"):
        services.change_controls(seen(control), {"owner_id": legal_person.id}, users["risk_manager"])


def test_a_head_changes_their_departments_controls_only_and_never_moves_one(users, make_user):
    ours = new_control(users["risk_manager"], "Security")
    legal = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    head = users["department_head"]
    when = today() + timedelta(days=45)
    result = services.change_controls(seen(ours), {"due_date": when}, head)
    db.session.commit()
    assert result.changed == [ours.ref] and ours.due_date == when
    with pytest.raises(services.BulkForbidden, match=f"{legal.ref} belongs to another department"):
        services.change_controls(seen(ours, legal), {"due_date": when + timedelta(days=1)}, head)
    db.session.rollback()
    assert db.session.get(Control, ours.id).due_date == when  # nothing of the refused change written
    with pytest.raises(services.BulkForbidden, match="Only risk managers move controls"):
        services.change_controls(seen(ours), {"department_id": department_id("Legal")}, head)
    with pytest.raises(services.BulkForbidden):
        services.change_controls(seen(ours), {"due_date": when}, users["executive"])


def test_a_stale_control_is_left_alone(users):
    fresh, stale = (
        new_control(users["risk_manager"], "Security"),
        new_control(users["risk_manager"], "Security"),
    )
    page = seen(fresh, stale)
    stale.title = "Edited meanwhile"
    db.session.commit()
    result = services.change_controls(page, {"due_date": today() + timedelta(days=9)}, users["admin"])
    db.session.commit()
    assert result.changed == [fresh.ref] and result.stale == [stale.ref]
    assert db.session.scalar(
        sa.select(Control.due_date).where(Control.id == stale.id)
    ) != today() + timedelta(days=9)
