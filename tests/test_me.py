""" "My work" (/me) shows each person what is theirs to do now, bounded whatever the register's size;
/me/settings changes their own password (the current one required, other sessions signed out) and
the notices they receive, audited."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import User
from riskreg.controls import services
from riskreg.extensions import db
from riskreg.mail import KINDS, NotificationOptOut
from riskreg.modeling import today
from tests.conftest import PASSWORD, text_of
from tests.controls_support import legacy, new_control


def events(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action))


def section(response, key: str) -> str:
    """The HTML of one section of the page (empty when it is not there)."""
    page = response.get_data(as_text=True)
    start = page.find(f'id="work-{key}"')
    return "" if start < 0 else page[start : page.find("</section>", start)]


def test_a_head_sees_their_departments_open_controls_overdue_first(clients, users):
    manager = users["risk_manager"]
    late = new_control(manager, "Security", title="Fence the pit")
    legacy(late, due_date=today() - timedelta(days=3))
    new_control(manager, "Security", title="Train the guards")
    new_control(manager, "Legal", title="Review the lease", owner_id=manager.id)
    page = section(clients["department_head"].get("/me"), "department")
    assert "Open controls of Security" in page and "Review the lease" not in page
    assert page.index("Fence the pit") < page.index("Train the guards")
    assert "3 days overdue" in page and "due in 30 days" in page
    assert section(clients["executive"].get("/me"), "department") == ""


def test_risk_managers_see_what_awaits_verification_and_the_action_is_one_click(clients, users):
    head = users["department_head"]
    control = new_control(users["risk_manager"], "Security", title="Floodlights at the tailings")
    services.close_control(control, "Installed", [], head, control.version)
    db.session.commit()
    page = section(clients["risk_manager"].get("/me"), "verify")
    assert "Floodlights at the tailings" in page and "Verify" in page
    assert f'href="/controls/{control.id}"' in page
    assert section(clients["department_head"].get("/me"), "verify") == ""
    assert section(clients["executive"].get("/me"), "verify") == ""


def test_a_section_shows_twenty_and_links_to_all(clients, users):
    for number in range(23):
        control = new_control(
            users["risk_manager"], "Legal", title=f"Legal control {number}", owner_id=users["executive"].id
        )
        legacy(control, due_date=today() - timedelta(days=number + 1))
    page = section(clients["executive"].get("/me"), "overdue")
    assert page.count("<li") == 20 and "All 23" in page
    assert "Legal control 22" in page and "Legal control 2<" not in page  # the most overdue first


def test_nothing_to_do_says_so(clients):
    page = text_of(clients["executive"].get("/me"))
    assert "Nothing is waiting for you today." in page


def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(app, clients, users, login):
    user = users["department_head"]
    other_session = login(user)
    client = clients["department_head"]
    form = {
        "current_password": "not it at all",
        "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase",
    }
    wrong = client.post("/me/settings/password", data=form)
    assert "The current password is not right." in text_of(wrong)
    db.session.expire_all()
    old_hash = db.session.get(User, user.id).password_hash

    form["current_password"] = PASSWORD
    response = client.post("/me/settings/password", data=form, follow_redirects=True)
    assert "Password changed. Your other sessions are signed out." in text_of(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash != old_hash
    assert client.get("/me").status_code == 200  # this session goes on
    assert other_session.get("/me").status_code == 302  # the other one is signed out
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "change_password"))
    assert event.entity_id == user.id and "brand new" not in str(event.changes)
    login(user, "a brand new passphrase")


def test_a_new_password_must_follow_the_policy_and_match(clients, users):
    client = clients["executive"]
    short = {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"}
    assert "at least 12 characters" in text_of(client.post("/me/settings/password", data=short))
    differ = {
        "current_password": PASSWORD,
        "new_password": "one long passphrase",
        "confirm_password": "another one",
    }
    assert "The two new passwords differ." in text_of(client.post("/me/settings/password", data=differ))
    same = {"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD}
    assert "other than the current one" in text_of(client.post("/me/settings/password", data=same))
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "change_password")
        )
        == 0
    )


def test_notices_turned_off_are_stored_audited_and_respected(app, smtp, clients, users):
    head = users["department_head"]
    client = clients["department_head"]
    page = text_of(client.get("/me/settings"))
    assert "A control is assigned to me or to my department" in page
    # Every kind ticked but the assignment notice
    form = {f"notices-kind_{kind}": "y" for kind in KINDS if kind != "control_assigned"}
    response = client.post("/me/settings/notifications", data=form, follow_redirects=True)
    assert "Notices saved." in text_of(response)
    db.session.rollback()
    assert set(
        db.session.scalars(sa.select(NotificationOptOut.kind).where(NotificationOptOut.user_id == head.id))
    ) == {"control_assigned"}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "notifications"))
    assert event.changes == {"notices_turned_off": [None, ["control_assigned"]]}
    control = new_control(users["risk_manager"], "Security")
    assert smtp.to(head.email) == []
    again = client.post("/me/settings/notifications", data=form, follow_redirects=True)
    assert "Nothing changed." in text_of(again)
    assert (
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "notifications"))
        == 1
    )
    assert control.id


def test_a_count_stops_at_the_cap_and_says_so(clients, users, monkeypatch):
    from riskreg.me import sections as me_sections

    monkeypatch.setattr(me_sections, "CAP", 10)
    for number in range(12):
        owner = users["executive"].id
        control = new_control(users["risk_manager"], "Legal", title=f"Legal control {number}", owner_id=owner)
        legacy(control, due_date=today() - timedelta(days=number + 1))
    page = section(clients["executive"].get("/me"), "overdue")
    assert '<span class="count">10+</span>' in page and "All of them" in page
    assert page.count("<li") == 12  # every one shown: LIMIT (20) is above the cap here
