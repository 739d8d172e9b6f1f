"""`flask grievances remind` through a real SMTP server on loopback, and the /me section."""

from __future__ import annotations

from datetime import timedelta

from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.modeling import today
from tests.grievance_support import new_grievance
from tests.test_me import section

SECRET = "Ama Secret-Complainant"


def test_heads_of_the_owner_department_and_officers_are_reminded_without_the_complainant(
    runner, smtp, users, make_user, make_site
):
    officer = make_user(Role.GRIEVANCE_OFFICER, department="Community Relations", name="Gil Griev")
    site = make_site()
    late = new_grievance(
        site,
        users["admin"],
        "Security",
        received_on=today() - timedelta(days=9),
        complainant={"name": SECRET},
    )
    new_grievance(site, users["admin"], "Security", received_on=today() - timedelta(days=1))  # on time
    legal_late = new_grievance(site, users["admin"], "Legal", received_on=today() - timedelta(days=40))
    result = runner.invoke(args=["grievances", "remind"])
    assert result.exit_code == 0, result.output
    assert "2 reminder(s)." in result.output
    head = smtp.to(users["department_head"].email)
    assert len(head) == 1
    body = head[0].get_content()
    assert late.ref in body and legal_late.ref not in body and "not acknowledged within 7 days" in body
    to_officer = smtp.to(officer.email)[0].get_content()
    assert late.ref in to_officer and legal_late.ref in to_officer
    for _, message in smtp.messages:
        assert SECRET not in message.get_content()


def test_remind_on_a_given_day(runner, smtp, users, make_site):
    new_grievance(make_site(), users["admin"], "Security", received_on=today() - timedelta(days=2))
    later = (today() + timedelta(days=10)).isoformat()
    assert "0 reminder(s)." in runner.invoke(args=["grievances", "remind"]).output
    result = runner.invoke(args=["grievances", "remind", "--today", later])
    assert "1 reminder(s)." in result.output and users["department_head"].email in result.output


def test_my_work_lists_my_departments_grievances_past_a_deadline(clients, users, make_site):
    site = make_site()
    late = new_grievance(site, users["admin"], "Security", received_on=today() - timedelta(days=9))
    other = new_grievance(site, users["admin"], "Legal", received_on=today() - timedelta(days=9))
    services.take_step(other, "acknowledged", today(), users["admin"])
    db.session.commit()
    page = section(clients["department_head"].get("/me"), "grievances_overdue")
    assert late.ref in page and other.ref not in page
    assert section(clients["executive"].get("/me"), "grievances_overdue") == ""
