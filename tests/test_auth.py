"""Sign-in, sign-out, sessions, and `flask users create` (throttling: test_sign_in_throttle.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role, User
from riskreg.extensions import db
from tests.conftest import PASSWORD, text_of


@pytest.mark.parametrize("role", ["admin", "risk_manager", "department_head", "executive"])
def test_every_role_lands_on_my_work(client, users, role):
    response = client.post("/login", data={"email": users[role].email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    landed = client.get("/", follow_redirects=True)
    assert landed.request.path == "/me" and "<h1>My work</h1>" in landed.get_data(as_text=True)


def test_wrong_email_and_wrong_password_get_the_same_message(client, users):
    wrong_password = client.post(
        "/login", data={"email": users["executive"].email, "password": "nope-nope-nope"}
    )
    wrong_email = client.post("/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong_password.status_code == wrong_email.status_code == 200
    assert "Invalid email or password." in text_of(wrong_password)
    assert "Invalid email or password." in text_of(wrong_email)
    assert text_of(wrong_password).replace(users["executive"].email, "X") == text_of(wrong_email).replace(
        "nobody@example.com", "X"
    )


def test_email_is_case_insensitive(client, users):
    response = client.post("/login", data={"email": users["executive"].email.upper(), "password": PASSWORD})
    assert response.status_code == 302


def test_pages_require_sign_in(client):
    response = client.get("/risks")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_session_cookie_is_httponly_and_samesite(client, users):
    response = client.post("/login", data={"email": users["executive"].email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_starts_a_new_session(client, users):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"email": users["executive"].email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_is_post_only_and_invalidates_copied_cookies(app, users, login):
    client = login(users["executive"])
    with client.session_transaction() as session:
        stolen = dict(session)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(stolen)
    assert replay.get("/risks").status_code == 302  # the copied cookie no longer signs in


def test_open_redirect_after_sign_in_is_refused(client, users):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/login", data={"email": users["executive"].email, "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_next_inside_the_app_is_followed(client, users):
    response = client.post(
        "/login", data={"email": users["executive"].email, "password": PASSWORD, "next": "/sites"}
    )
    assert response.headers["Location"] == "/sites"


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user(Role.EXECUTIVE, active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "Invalid email or password." in text_of(response)


def test_passwords_are_hashed(users):
    user = users["executive"]
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:sha256:")


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_cli_creates_a_user_from_two_piped_lines(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "New.Head@Example.com",
            "--name",
            "New Head",
            "--role",
            "department_head",
            "--department",
            "Legal",
        ],
        input="a-long-enough-password\na-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new.head@example.com"))
    assert user.role is Role.DEPARTMENT_HEAD and user.department.name == "Legal"
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
    )


def test_cli_refuses_bad_input_with_a_message(runner, users):
    cases = [
        (
            ["--role", "department_head"],
            "a-long-enough-password\na-long-enough-password\n",
            "needs a department",
        ),
        (["--role", "executive", "--department", "Nope"], "a-long-enough-password\n" * 2, "no department"),
        (["--role", "executive"], "short\nshort\n", "at least 12"),
        (["--role", "executive"], "a-long-enough-password\ndifferent-password\n", "differ"),
        (["--role", "wizard"], "a-long-enough-password\n" * 2, "wizard"),
    ]
    for extra, stdin, message in cases:
        result = runner.invoke(
            args=["users", "create", "--email", "x@example.com", "--name", "X", *extra], input=stdin
        )
        assert result.exit_code != 0 and message in result.output, (extra, result.output)
    duplicate = runner.invoke(
        args=["users", "create", "--email", users["executive"].email, "--name", "X", "--role", "executive"],
        input="a-long-enough-password\n" * 2,
    )
    assert "already exists" in duplicate.output
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "x@example.com")) == 0


def test_healthz_reports_database_state(client, tmp_path):
    assert client.get("/healthz?ready").status_code == 200
    from riskreg import create_app
    from tests.conftest import make_config

    broken = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite"))
    assert broken.test_client().get("/healthz").status_code == 200  # liveness: the process answers
    response = broken.test_client().get("/healthz?ready")
    assert response.status_code == 503 and response.json["database"] == "unreachable"
    assert response.json["failed"] == ["database"]


def test_unknown_email_costs_as_much_as_a_wrong_password(app, client, users, monkeypatch):
    """No timing oracle: an unknown email and a wrong password each check exactly one hash, of the
    configured method (the stand-in hash follows the setting, it is not a cheap one)."""
    from riskreg.auth import services

    checked: list[str] = []
    real_check = services.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    method = app.config["PASSWORD_HASH_METHOD"]
    client.post("/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert checked == [method]
    checked.clear()
    client.post("/login", data={"email": users["executive"].email, "password": "wrong-wrong-wrong"})
    assert checked == [method]
    checked.clear()
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2000"
    client.post("/login", data={"email": "nobody.else@example.com", "password": PASSWORD})
    assert checked == ["pbkdf2:sha256:2000"]


def test_creating_a_user_records_every_field(make_user):
    user = make_user(Role.DEPARTMENT_HEAD, department="Legal", name="Lena Legal", email="lena@example.com")
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
    )
    assert event.action == "create" and event.changes == {
        "name": [None, "Lena Legal"],
        "email": [None, "lena@example.com"],
        "role": [None, "department_head"],
        "department": [None, "Legal"],
        "active": [None, True],
    }
