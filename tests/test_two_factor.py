"""Two-factor sign-in (TOTP, RFC 6238): enrolment with a QR code drawn on the server, recovery codes
shown once and stored hashed, the second step after the password (a new session after it), throttled
like the password, required for admins with RISKREG_REQUIRE_2FA_FOR, reset by an admin."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from riskreg import create_app
from riskreg.audit import AuditEvent
from riskreg.auth import services, twofactor
from riskreg.auth.models import RecoveryCode, User
from riskreg.extensions import db
from tests.conftest import PASSWORD, make_config, running_app, text_of


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(twofactor, "utcnow", clock)
    monkeypatch.setattr(services, "utcnow", clock)
    return clock


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def enrol(client, clock: Clock) -> tuple[str, list[str]]:
    """Enrol through the pages; returns the secret and the recovery codes shown."""
    page = client.get("/me/settings/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    shown = client.post("/me/settings/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert shown.status_code == 200, text_of(shown)
    codes = re.findall(r"<li><code>([0-9a-f-]{23})</code></li>", shown.get_data(as_text=True))
    return secret, codes


def sign_in(app, user: User, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": password})
    return client, response


def test_enrolment_shows_a_qr_code_drawn_here_and_the_key(clients):
    page = clients["admin"].get("/me/settings/two-factor")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg width="' in html and 'class="segno"' in html  # inline SVG, no image from elsewhere
    assert "<img" not in html and "https://" not in html.split("</header>")[-1]
    assert re.search(r'<code class="totp-secret">[A-Z2-7]{32}</code>', html)


def test_a_wrong_first_code_turns_nothing_on(clients, users, clock):
    client = clients["admin"]
    client.get("/me/settings/two-factor")
    response = client.post("/me/settings/two-factor", data={"code": "000000"})
    assert response.status_code == 200 and "That code is not right" in text_of(response)
    db.session.refresh(users["admin"])
    assert not users["admin"].two_factor_enabled and events("enable_2fa") == []


def test_enrolment_shows_recovery_codes_once_and_stores_only_their_hashes(app, clients, users, login, clock):
    other_session = login(users["admin"])
    secret, codes = enrol(clients["admin"], clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(users["admin"])
    assert users["admin"].totp_secret == secret
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not stored & set(codes)
    assert stored == {twofactor.hash_code(code) for code in codes}
    (event,) = events("enable_2fa")
    assert event.changes == {"two_factor": [False, True], "recovery_codes": [None, 10]}
    again = clients["admin"].get("/me/settings/two-factor").get_data(as_text=True)
    assert not any(code in again for code in codes) and "Recovery codes left: 10" in again
    # This session carries on (a new one); the other session, opened with the password only, ends.
    assert clients["admin"].get("/me").status_code == 200
    assert other_session.get("/me").status_code == 302


def test_an_enrolled_admin_cannot_sign_in_without_the_code(app, clients, users, clock):
    secret, _ = enrol(clients["admin"], clock)
    client, response = sign_in(app, users["admin"])
    assert response.status_code == 302 and response.headers["Location"] == "/login/second-factor"
    assert client.get("/me").status_code == 302  # the password alone signs nobody in
    assert client.get("/users").status_code == 302
    wrong = client.post("/login/second-factor", data={"code": "123456"})
    assert wrong.status_code == 200 and "That code is not right." in text_of(wrong)
    assert client.get("/me").status_code == 302
    clock.advance(30)
    with client.session_transaction() as session:
        session["planted"] = "before the second factor"
    right = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/users").status_code == 200
    with client.session_transaction() as session:  # a new session after the second factor
        assert "planted" not in session and "second_factor" not in session


def test_a_code_is_used_only_once(app, clients, users, clock):
    secret, _ = enrol(clients["admin"], clock)
    clock.advance(30)
    code = pyotp.TOTP(secret).at(clock.now)
    first, _ = sign_in(app, users["admin"])
    assert first.post("/login/second-factor", data={"code": code}).status_code == 302
    second, _ = sign_in(app, users["admin"])
    replay = second.post("/login/second-factor", data={"code": code})
    assert replay.status_code == 200 and "That code is not right." in text_of(replay)
    assert second.get("/me").status_code == 302


def test_a_recovery_code_stands_in_once(app, clients, users, clock):
    _, codes = enrol(clients["admin"], clock)
    client, _ = sign_in(app, users["admin"])
    response = client.post("/login/second-factor", data={"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302 and client.get("/me").status_code == 200
    (event,) = events("use_recovery_code")
    assert event.changes == {"recovery_codes_left": [10, 9]}
    again, _ = sign_in(app, users["admin"])
    assert again.post("/login/second-factor", data={"code": codes[3]}).status_code == 200
    assert again.get("/me").status_code == 302


def test_wrong_codes_are_throttled_like_passwords(app, clients, users, clock):
    secret, _ = enrol(clients["admin"], clock)
    client, _ = sign_in(app, users["admin"])
    for _ in range(app.config["LOGIN_FREE_FAILURES"] + 1):  # the free failures, then one that waits
        assert client.post("/login/second-factor", data={"code": "000000"}).status_code == 200
    next_code = pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30))  # right, but during the wait
    refused = client.post("/login/second-factor", data={"code": next_code})
    assert refused.status_code == 429 and "Too many attempts" in text_of(refused)
    assert client.get("/me").status_code == 302


def test_the_second_step_expires(app, clients, users, clock):
    secret, _ = enrol(clients["admin"], clock)
    client, _ = sign_in(app, users["admin"])
    with client.session_transaction() as session:
        pending = session["second_factor"]
        session["second_factor"] = {**pending, "since": pending["since"] - 6 * 60}
    clock.advance(30)
    late = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/me").status_code == 302


def test_turning_it_off_needs_a_current_code(app, clients, users, clock):
    secret, _ = enrol(clients["admin"], clock)
    client = clients["admin"]
    refused = client.post("/me/settings/two-factor/disable", data={"code": "000000"})
    assert refused.status_code == 200 and "That code is not right." in text_of(refused)
    db.session.refresh(users["admin"])
    assert users["admin"].two_factor_enabled
    clock.advance(30)
    done = client.post("/me/settings/two-factor/disable", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.status_code == 302
    db.session.refresh(users["admin"])
    assert not users["admin"].two_factor_enabled
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    assert len(events("disable_2fa")) == 1


def test_new_recovery_codes_replace_the_old(app, clients, users, clock):
    secret, old = enrol(clients["admin"], clock)
    clock.advance(30)
    response = clients["admin"].post(
        "/me/settings/two-factor/recovery-codes", data={"code": pyotp.TOTP(secret).at(clock.now)}
    )
    new = re.findall(r"<li><code>([0-9a-f-]{23})</code></li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client, _ = sign_in(app, users["admin"])
    assert client.post("/login/second-factor", data={"code": old[0]}).status_code == 200
    assert client.post("/login/second-factor", data={"code": new[0]}).status_code == 302


@pytest.fixture
def strict_app(tmp_path):
    yield from running_app(tmp_path, REQUIRE_2FA_FOR="admin")


def test_required_for_admins_they_enrol_before_anything_else(strict_app, clock):
    admin = services.create_user(email="a@example.com", name="A", role="admin", password=PASSWORD)
    manager = services.create_user(email="m@example.com", name="M", role="risk_manager", password=PASSWORD)
    db.session.commit()
    client, response = sign_in(strict_app, admin)
    assert response.status_code == 302 and response.headers["Location"] == "/me/settings/two-factor"
    for path in ("/me", "/users", "/risks"):
        page = client.get(path)
        assert page.status_code == 302 and page.headers["Location"] == "/me/settings/two-factor", path
    secret, _ = enrol(client, clock)
    assert client.get("/users").status_code == 200
    clock.advance(30)
    refused = client.post("/me/settings/two-factor/disable", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert refused.status_code == 400 and "required" in text_of(refused)
    other, _ = sign_in(strict_app, manager)
    assert other.get("/risks").status_code == 200  # a risk manager is not asked


def test_a_wrong_requirement_setting_is_refused_at_start_up(tmp_path):
    with pytest.raises(ValueError, match="RISKREG_REQUIRE_2FA_FOR"):
        create_app(make_config(REQUIRE_2FA_FOR="admins"))


def test_an_admin_resets_a_lost_second_factor(app, clients, users, login, clock):
    client = login(users["risk_manager"])
    enrol(client, clock)
    response = clients["admin"].post(f"/users/{users['risk_manager'].id}/reset-2fa")
    assert response.status_code == 302
    db.session.refresh(users["risk_manager"])
    assert not users["risk_manager"].two_factor_enabled
    assert client.get("/me").status_code == 302  # the sessions end
    (event,) = events("reset_2fa")
    assert event.actor_id == users["admin"].id and event.changes == {"two_factor": [True, False]}
    plain, response = sign_in(app, users["risk_manager"])
    assert response.headers["Location"] == "/"
