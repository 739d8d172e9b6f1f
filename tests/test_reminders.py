"""`flask reminders send` through a real SMTP server on loopback (aiosmtpd), reading what arrived."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from riskreg.auth.models import Role
from riskreg.controls.models import ControlStatus, ReminderDigest
from riskreg.extensions import db
from tests.controls_support import new_control
from tests.mail_support import free_port

TODAY = date.today()


@pytest.fixture
def due(users, make_user, make_risk, smtp):
    rm = users["risk_manager"]
    risk = make_risk(title="Encroachment")
    legal_head = make_user(
        Role.DEPARTMENT_HEAD, department="Legal", name="Daniel Hart", email="legal.head@example.com"
    )
    make_user(Role.DEPARTMENT_HEAD, department="Environment", name="Tomas Quispe")  # nothing due: no mail
    make_user(Role.DEPARTMENT_HEAD, department="Legal", active=False, email="gone@example.com")
    controls = {
        "legal_head": legal_head,
        "fence": new_control(
            rm, "Security", [risk], title="Fence the ROM pad", due_date=TODAY - timedelta(days=4)
        ),
        "patrol": new_control(rm, "Security", title="Night patrols", due_date=TODAY + timedelta(days=5)),
        "later": new_control(rm, "Security", title="Drone survey", due_date=TODAY + timedelta(days=30)),
        "done": new_control(
            rm,
            "Security",
            title="Old signage",
            due_date=TODAY - timedelta(days=9),
            status=ControlStatus.IMPLEMENTED,
        ),
        "kyc": new_control(rm, "Legal", title="KYC of gold buyers", due_date=TODAY - timedelta(days=1)),
        "undated": new_control(rm, "Legal", title="No due date"),
    }
    smtp.messages.clear()  # the assignment notices: these tests read the digests
    return controls


def digests() -> list[ReminderDigest]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ReminderDigest).order_by(ReminderDigest.id)))


def test_each_head_gets_one_digest_of_overdue_and_soon_due_controls(runner, smtp, users, due):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 digest(s)." in result.output

    security = smtp.to(users["department_head"].email)
    assert len(security) == 1 and len(smtp.messages) == 2
    mail = security[0]
    assert mail["From"] == "riskreg@mine.example.com"
    assert mail["Subject"] == "riskreg: Security: 1 overdue, 1 due within 14 days"
    text = mail.get_body(("plain",)).get_content()
    assert due["fence"].ref in text and "4 days overdue" in text and due["patrol"].ref in text
    assert f"https://riskreg.mine.example.com/controls/{due['fence'].id}" in text
    assert "https://riskreg.mine.example.com/controls/mine" in text
    assert "Drone survey" not in text and "Old signage" not in text  # beyond the horizon; closed
    assert "R-0001" in text  # the risk it mitigates
    html = mail.get_body(("html",)).get_content()
    assert f'href="https://riskreg.mine.example.com/controls/{due["fence"].id}"' in html

    legal = smtp.to("legal.head@example.com")[0]
    assert "KYC of gold buyers" in legal.get_body(("plain",)).get_content()
    assert "Fence" not in legal.get_body(("plain",)).get_content()
    assert smtp.to("gone@example.com") == []
    assert sorted(d.control_count for d in digests()) == [1, 2]


def test_a_second_run_the_same_day_sends_nothing_new(runner, smtp, due):
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0
    again = runner.invoke(args=["reminders", "send"])
    assert (
        again.exit_code == 0 and "Sent 0 digest(s)." in again.output and "Already sent today" in again.output
    )
    assert len(smtp.messages) == 2 and len(digests()) == 2


def test_dry_run_prints_and_records_nothing(runner, smtp, users, due):
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"To: {users['department_head'].email}" in result.output and "Fence the ROM pad" in result.output
    assert "Would send 2 digest(s)." in result.output
    assert smtp.messages == [] and digests() == []
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0  # the real run still sends
    assert len(smtp.messages) == 2


def test_a_failed_send_does_not_stop_the_others_and_exits_non_zero(runner, smtp, users, due):
    smtp.refuse.add("legal.head@example.com")
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 1
    assert "FAILED: legal.head@example.com (Legal)" in result.output
    assert len(smtp.to(users["department_head"].email)) == 1
    assert [d.user_id for d in digests()] == [users["department_head"].id]  # only what was delivered

    smtp.refuse.clear()
    retry = runner.invoke(args=["reminders", "send"])
    assert retry.exit_code == 0 and "Sent 1 digest(s)." in retry.output
    assert len(smtp.to("legal.head@example.com")) == 1 and len(smtp.to(users["department_head"].email)) == 1


def test_an_unreachable_server_fails_every_send(app, runner, due):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens there
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 1 and result.output.count("FAILED") == 2
    assert digests() == []


def test_horizon_days_option(runner, smtp, users, due):
    assert runner.invoke(args=["reminders", "send", "--horizon-days", "40"]).exit_code == 0
    mail = smtp.to(users["department_head"].email)[0]
    assert "Drone survey" in mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "riskreg: Security: 1 overdue, 2 due within 40 days"
    assert runner.invoke(args=["reminders", "send", "--horizon-days", "-1"]).exit_code == 2


def test_every_head_of_a_department_gets_the_digest(runner, smtp, make_user, due):
    make_user(Role.DEPARTMENT_HEAD, department="Security", email="deputy@example.com")
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0
    assert len(smtp.to("deputy@example.com")) == 1 and len(smtp.messages) == 3


def test_nothing_due_sends_nothing(runner, smtp, users):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "Sent 0 digest(s)." in result.output and smtp.messages == []
