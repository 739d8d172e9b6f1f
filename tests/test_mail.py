"""riskreg.mail: notifications are outbox rows of the change's own transaction, sent to a real SMTP
server on loopback right after the commit, kept for `flask mail retry` when the server is down, and
sent only to people who want them; the control notices go through it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg import mail
from riskreg.auth.models import Role
from riskreg.controls import services
from riskreg.controls.models import Effectiveness
from riskreg.extensions import db
from riskreg.mail import NotificationOptOut, OutboxMessage
from tests.controls_support import fresh, new_control
from tests.mail_support import free_port


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_notice_is_sent_after_the_commit_and_dropped_by_a_rollback(app, smtp, users):
    head = users["department_head"]
    control = new_control(users["risk_manager"], "Security", title="Fence the tailings area")
    [message] = smtp.to(head.email)
    assert "C-" in message["Subject"] and "Fence the tailings area" in message["Subject"]
    assert f"https://riskreg.mine.example.com/controls/{control.id}" in message.get_content()
    [row] = outbox()
    assert row.sent_at is not None and row.attempts == 1 and row.kind == "control_assigned"

    smtp.messages.clear()
    data = {"title": "Never saved", "department_id": head.department_id, "owner_id": None}
    data |= {"due_date": control.due_date, "description": "", "formalisation_support": False}
    services.create_control(data, users["risk_manager"])
    db.session.rollback()
    assert smtp.messages == [] and len(outbox()) == 1


def test_a_server_that_is_down_keeps_the_change_and_queues_the_mail_for_retry(app, smtp, runner, users):
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    control = new_control(users["risk_manager"], "Security", title="Patrol the river bank")
    assert fresh(control.id).title == "Patrol the river bank"  # saved
    [row] = outbox()
    assert row.sent_at is None and row.attempts == 1 and "ConnectionRefused" in row.last_error

    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 1 and "still queued 1" in result.output
    app.config["SMTP_PORT"] = port
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0 and "Sent 1, failed 0, still queued 0" in result.output, result.output
    [message] = smtp.to(users["department_head"].email)
    assert "Patrol the river bank" in message["Subject"]
    [row] = outbox()
    assert row.sent_at is not None and row.attempts == 3 and row.last_error is None
    assert runner.invoke(args=["mail", "retry"]).output.startswith("Sent 0")  # nothing twice


def test_a_kind_turned_off_or_an_inactive_user_gets_nothing(app, smtp, users, make_user):
    head = users["department_head"]
    other = make_user(Role.DEPARTMENT_HEAD, department="Security", name="Gone Guard", active=False)
    db.session.add(NotificationOptOut(user_id=head.id, kind="control_assigned"))
    db.session.commit()
    new_control(users["risk_manager"], "Security")
    assert smtp.to(head.email) == [] and smtp.to(other.email) == [] and outbox() == []


def test_nobody_is_told_of_their_own_action_and_each_step_tells_the_right_people(app, smtp, users, make_user):
    head, manager = users["department_head"], users["risk_manager"]
    second_manager = make_user(Role.RISK_MANAGER, name="Rui Risk")
    control = new_control(head, "Security", title="Grievance hotline")  # the head assigns their own
    assert smtp.to(head.email) == []
    services.start_control(control, head, control.version)
    services.close_control(fresh(control.id), "Hotline open since May", [], head, fresh(control.id).version)
    db.session.commit()
    assert {m["Subject"] for m in smtp.to(manager.email)} == {
        f"riskreg: {control.ref} implemented, awaiting verification: Grievance hotline"
    }
    assert len(smtp.to(second_manager.email)) == 1 and smtp.to(head.email) == []
    control = fresh(control.id)
    services.verify_control(control, Effectiveness.EFFECTIVE, "Called it", manager, control.version)
    db.session.commit()
    [verified] = smtp.to(head.email)
    assert "verified (effective)" in verified["Subject"] and "Called it" in verified.get_content()
    control = fresh(control.id)
    services.reopen_control(control, "Line is dead since Monday", second_manager, control.version)
    db.session.commit()
    reopened = smtp.to(head.email)[-1]
    assert "reopened" in reopened["Subject"] and "Line is dead since Monday" in reopened.get_content()


def test_an_unknown_kind_is_a_programming_error(app, users):
    with pytest.raises(ValueError, match="unknown notification kind"):
        mail.notify("weather", users["admin"], "Hi", "controls/email/notice.txt")


def test_no_header_injection_through_a_subject(app, smtp, users):
    control = new_control(users["risk_manager"], "Security", title="Fence\r\nBcc: victim@example.com")
    [message] = smtp.to(users["department_head"].email)
    assert "victim@example.com" not in (message["Bcc"] or "") and "\n" not in message["Subject"]
    assert all("victim@example.com" not in rcpts for rcpts, _ in smtp.messages)
    assert control.id


def test_the_demo_notifies_nobody(app, smtp, runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert smtp.messages == [] and outbox() == []
