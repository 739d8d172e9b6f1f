"""`flask reviews remind [--today]` through a real SMTP server on loopback (aiosmtpd): each owner is
mailed once per run 7 days before and on the day of a risk's next review; a second run that day
sends nothing new; an owner who turned the kind off gets nothing."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.mail import KINDS, NotificationOptOut, OutboxMessage
from riskreg.reviews.models import ReviewReminder
from riskreg.risks.models import RiskStatus

ON = date(2027, 3, 10)


def due_on(risk, when):
    risk.next_review_date = when
    db.session.commit()
    return risk


def test_each_owner_gets_one_mail_listing_the_risks_due_today_and_in_seven_days(
    runner,
    smtp,
    users,
    make_user,
    make_risk,
):
    owner = make_user(Role.RISK_MANAGER, name="Olga Owner", email="olga@example.com")
    today_risk = due_on(make_risk(title="Due today", owner_id=owner.id), ON)
    week_risk = due_on(make_risk(title="Due in a week", owner_id=owner.id), ON + timedelta(days=7))
    due_on(make_risk(title="Due in six days", owner_id=owner.id), ON + timedelta(days=6))  # neither day
    due_on(make_risk(title="Closed", owner_id=owner.id, status=RiskStatus.CLOSED), ON)
    other = due_on(make_risk(title="Someone else's", owner_id=users["executive"].id), ON)
    result = runner.invoke(args=["reviews", "remind", "--today", ON.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Sent 2 review reminder(s)." in result.output
    [mail] = smtp.to("olga@example.com")
    body = mail.get_content()
    assert "1 due for review today, 1 due in 7 days" in mail["Subject"]
    assert f"{today_risk.ref} Due today" in body and f"{week_risk.ref} Due in a week" in body
    assert "Due in six days" not in body and "Closed" not in body and other.ref not in body
    assert f"https://riskreg.mine.example.com/risks/{today_risk.id}#reviews" in body
    assert len(smtp.to(users["executive"].email)) == 1
    assert "review_due" in KINDS


def test_a_second_run_that_day_sends_nothing_new_and_the_next_day_does(runner, smtp, users, make_risk):
    due_on(make_risk(owner_id=users["executive"].id), ON)
    due_on(make_risk(owner_id=users["executive"].id, title="Tomorrow's week"), ON + timedelta(days=8))
    assert runner.invoke(args=["reviews", "remind", "--today", ON.isoformat()]).exit_code == 0
    again = runner.invoke(args=["reviews", "remind", "--today", ON.isoformat()])
    assert "Sent 0 review reminder(s)." in again.output and users["executive"].email in again.output
    assert len(smtp.messages) == 1
    assert db.session.scalar(sa.select(sa.func.count(ReviewReminder.id))) == 1
    next_day = runner.invoke(args=["reviews", "remind", "--today", (ON + timedelta(days=1)).isoformat()])
    assert "Sent 1 review reminder(s)." in next_day.output and len(smtp.messages) == 2


def test_an_owner_who_turned_review_mails_off_gets_none(runner, smtp, users, make_risk):
    due_on(make_risk(owner_id=users["executive"].id), ON)
    db.session.add(NotificationOptOut(user_id=users["executive"].id, kind="review_due"))
    db.session.commit()
    result = runner.invoke(args=["reviews", "remind", "--today", ON.isoformat()])
    assert result.exit_code == 0 and "Not wanted" in result.output
    assert smtp.messages == [] and db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_bad_date_is_refused_plainly(runner):
    result = runner.invoke(args=["reviews", "remind", "--today", "10/03/2027"])
    assert result.exit_code != 0 and "10/03/2027" in result.output
