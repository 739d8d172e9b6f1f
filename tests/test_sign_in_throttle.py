"""Failed sign-ins slow down further attempts per account and source; nothing locks an account for
good, the real user is never kept out for long, and an admin can unlock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from riskreg import create_app
from riskreg.audit import AuditEvent
from riskreg.auth import services
from riskreg.auth.models import SignInThrottle
from riskreg.auth.views import wait_words
from riskreg.extensions import db
from riskreg.users import views as users_views
from tests.conftest import PASSWORD, make_config, text_of

WRONG = "wrong-wrong-wrong"


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
    monkeypatch.setattr(services, "utcnow", clock)
    monkeypatch.setattr(users_views, "utcnow", clock)
    return clock


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """The password hashes checked, one entry per check."""
    checked: list[str] = []
    real_check = services.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real_check(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    return checked


def sign_in(client, email: str, password: str, source: str = "198.51.100.7"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": source}
    )


def fail(client, clock: Clock, email: str, times: int, source: str = "198.51.100.7") -> None:
    """`times` counted failures: each waits out the throttle first, as a patient attacker would."""
    for _ in range(times):
        response = sign_in(client, email, WRONG, source)
        if response.status_code == 429:
            clock.advance(int(response.headers["Retry-After"]))
            response = sign_in(client, email, WRONG, source)
        assert response.status_code == 200


def throttled(response, seconds: int) -> bool:
    page = text_of(response)
    return (
        response.status_code == 429
        and response.headers["Retry-After"] == str(seconds)
        and "Invalid email or password." in page
        and f"Too many attempts: try again in {wait_words(seconds)}." in page
    )


def rows() -> dict[str, tuple[int, datetime | None]]:
    db.session.rollback()
    return {r.source: (r.failures, r.blocked_until) for r in db.session.scalars(sa.select(SignInThrottle))}


def test_failures_from_one_source_bring_waits_that_double(app, client, users, clock, hashes):
    email = users["executive"].email
    for _ in range(5):  # LOGIN_FREE_FAILURES
        assert sign_in(client, email, WRONG).status_code == 200
    assert sign_in(client, email, WRONG).status_code == 200  # the 6th: a wait of 2 s from now
    hashes.clear()
    assert throttled(sign_in(client, email, PASSWORD), 2)  # even the right password waits
    assert hashes == []  # and is not checked
    clock.advance(2)
    assert sign_in(client, email, WRONG).status_code == 200  # the 7th: 4 s
    clock.advance(3)
    assert throttled(sign_in(client, email, PASSWORD), 1)
    clock.advance(1)
    assert sign_in(client, email, PASSWORD).status_code == 302
    assert rows() == {}  # a successful sign-in forgets its source's and the account's failures


def test_the_wait_stops_growing_at_fifteen_minutes(app, client, users, clock):
    email = users["executive"].email
    fail(client, clock, email, 30)
    assert rows()["198.51.100.7"][0] == 30
    assert throttled(response := sign_in(client, email, PASSWORD), 15 * 60)
    assert "try again in 15 minutes" in text_of(response)
    clock.advance(15 * 60)
    assert sign_in(client, email, PASSWORD).status_code == 302


def test_attempts_during_a_wait_are_not_counted(app, client, users, clock):
    """Hammering cannot prolong the wait (the old lock renewed itself with every try)."""
    email = users["executive"].email
    for _ in range(6):
        sign_in(client, email, WRONG)
    before = rows()
    for _ in range(20):
        assert throttled(sign_in(client, email, WRONG), 2)
    assert rows() == before
    clock.advance(2)
    assert sign_in(client, email, PASSWORD).status_code == 302


def test_another_source_keeps_signing_in(app, client, users, clock):
    """An attacker's failures from one address do not keep the user out at their own."""
    email = users["admin"].email
    fail(client, clock, email, 12, source="203.0.113.66")
    assert throttled(sign_in(client, email, PASSWORD, source="203.0.113.66"), 2**7)
    assert sign_in(app.test_client(), email, PASSWORD, source="192.0.2.10").status_code == 302


def test_many_sources_slow_the_account_only_a_little(app, client, users, clock, hashes):
    """Across every source the account gets 20 free failures, then a wait that doubles every four
    failures and stops at a minute: a botnet guesses slowly, the real user waits a minute at most."""
    email = users["admin"].email
    for n in range(200):
        sign_in(client, email, WRONG, source=f"10.0.{n // 250}.{n % 250}")
    failures, _blocked = rows()["*"]
    assert failures == 21  # from the 21st on, each attempt had to wait and was not counted
    hashes.clear()
    assert throttled(sign_in(app.test_client(), email, PASSWORD, source="192.0.2.10"), 2)
    assert hashes == []
    for n in range(60):  # the botnet keeps going, one try per wait
        clock.advance(60)
        assert sign_in(client, email, WRONG, source=f"10.1.0.{n}").status_code == 200
    assert rows()["*"][0] == 81
    wait = int(re.search(r"try again in (\d+)", text_of(sign_in(client, email, PASSWORD))).group(1))
    assert wait <= 60
    clock.advance(wait)
    assert sign_in(app.test_client(), email, PASSWORD, source="192.0.2.10").status_code == 302


def test_unknown_emails_are_throttled_alike(app, client, users, clock):
    """Throttling does not tell known accounts from unknown ones."""
    for email in (users["executive"].email, "nobody@example.com"):
        for _ in range(6):
            sign_in(client, email, WRONG)
    known = sign_in(client, users["executive"].email, WRONG)
    unknown = sign_in(client, "nobody@example.com", WRONG)
    assert throttled(known, 2) and throttled(unknown, 2)
    assert text_of(known).replace(users["executive"].email, "X") == text_of(unknown).replace(
        "nobody@example.com", "X"
    )
    db.session.rollback()
    stored = " ".join(f"{r.account_key} {r.source}" for r in db.session.scalars(sa.select(SignInThrottle)))
    assert "nobody" not in stored and "@" not in stored  # no typed email is kept


def test_every_worker_and_host_sees_the_same_failures(app, client, users, clock, tmp_path):
    email = users["executive"].email
    for _ in range(6):
        sign_in(client, email, WRONG)
    secret = app.config["SECRET_KEY"]
    other = create_app(make_config(sqlite_path=tmp_path / "riskreg.sqlite", SECRET_KEY=secret))
    try:
        assert throttled(sign_in(other.test_client(), email, PASSWORD), 2)
    finally:
        with other.app_context():
            db.engine.dispose()


def test_an_admin_unlocks_an_account(app, client, users, clock, clients):
    email = users["executive"].email
    fail(client, clock, email, 14)
    page = text_of(clients["admin"].get("/users"))
    assert re.search(r"Eve Exec .* 14, waiting until 09:\d\d:\d\d UTC Unlock", page), page
    assert clients["risk_manager"].post(f"/users/{users['executive'].id}/unlock").status_code == 403
    assert rows()
    response = clients["admin"].post(f"/users/{users['executive'].id}/unlock")
    assert response.status_code == 302 and rows() == {}
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "unlock_sign_in").order_by(AuditEvent.id.desc())
    ).first()
    assert event.entity_id == users["executive"].id and event.actor_id == users["admin"].id
    assert event.changes["failed_sign_ins"] == [14, 0]
    assert event.changes["sign_in_blocked_until"][0].startswith("2026-06-01T09:") and (
        event.changes["sign_in_blocked_until"][1] is None
    )
    assert sign_in(client, email, PASSWORD).status_code == 302


def test_unlock_needs_the_csrf_token(csrf_app, make_user):
    from tests.test_csrf import token

    admin = make_user("admin")
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token(login_page)})
    assert client.post(f"/users/{admin.id}/unlock").status_code == 400
    page = client.get("/users").get_data(as_text=True)
    response = client.post(f"/users/{admin.id}/unlock", data={"csrf_token": token(page)})
    assert response.status_code == 302
