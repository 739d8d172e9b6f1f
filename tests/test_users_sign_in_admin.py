"""/users shows where each account signs in, its last sign-in (with the time zone), whether it is
active and its two-factor state; an admin turns an account off (its sessions end) and on again,
audited."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import NO_PASSWORD, Role, SignInSource
from riskreg.extensions import db
from tests.conftest import text_of


def row(page, user) -> str:
    html = page.get_data(as_text=True)
    match = re.search(rf'<tr[^>]*id="user-{user.id}">(.*?)</tr>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_the_users_page_shows_source_last_sign_in_status_and_two_factor(clients, users, make_user):
    sso = make_user(
        Role.EXECUTIVE, source=SignInSource.OIDC, external_id="iss sub-1", password_hash=NO_PASSWORD
    )
    directory = make_user(Role.RISK_MANAGER, source=SignInSource.LDAP, external_id="uid=x,dc=example")
    off = make_user(Role.EXECUTIVE, active=False, last_login_at=datetime(2026, 5, 4, 7, 30))
    users["risk_manager"].totp_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    page = clients["admin"].get("/users")
    assert "Signs in with" in text_of(page) and "Two-factor" in text_of(page)
    admin_row = row(page, users["admin"])
    assert "Local" in admin_row and "Active" in admin_row and " UTC" in admin_row  # signed in by the fixture
    assert "OpenID Connect" in row(page, sso) and "At the provider" in row(page, sso)
    assert "LDAP" in row(page, directory) and "Off" in row(page, directory)
    assert "Turned off" in row(page, off) and "2026-05-04 07:30 UTC" in row(page, off)
    assert "On" in row(page, users["risk_manager"]) and "Reset" in row(page, users["risk_manager"])


def test_an_admin_turns_an_account_off_and_its_sessions_end(clients, users):
    executive = clients["executive"]
    assert executive.get("/me").status_code == 200
    response = clients["admin"].post(f"/users/{users['executive'].id}/deactivate")
    assert response.status_code == 302
    assert executive.get("/me").status_code == 302  # signed out at once
    db.session.refresh(users["executive"])
    assert not users["executive"].active
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_id == users["executive"].id, AuditEvent.action == "update"
        )
    )
    assert event.changes == {"active": [True, False]} and event.actor_id == users["admin"].id
    again = clients["admin"].post(f"/users/{users['executive'].id}/activate")
    assert again.status_code == 302
    db.session.refresh(users["executive"])
    assert users["executive"].active


def test_an_admin_cannot_turn_themselves_off(clients, users):
    response = clients["admin"].post(f"/users/{users['admin'].id}/deactivate")
    assert response.status_code == 400
    db.session.refresh(users["admin"])
    assert users["admin"].active


def test_a_company_account_has_no_password_to_change_here(app, make_user):
    from riskreg.me import services

    user = make_user(Role.EXECUTIVE, source=SignInSource.LDAP, external_id="uid=y,dc=example")
    with pytest.raises(services.SettingsError, match="company account"):
        services.change_password(user, "whatever it was", "a brand new password")
