"""Personal access tokens: created at /me/tokens or by `flask tokens create`, shown once, stored as a
hash, refused once expired, revoked or when their user is disabled; never the session cookie."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.api import tokens
from riskreg.api.models import ApiToken
from riskreg.extensions import db
from riskreg.modeling import utcnow
from tests.api_support import ApiClient, new_token
from tests.conftest import PASSWORD, running_app


def test_a_new_user_creates_a_token_and_lists_the_register(clients, users, app, make_risk):
    make_risk(title="Listed through the API")
    page = clients["executive"].post("/me/tokens", data={"name": "Power BI", "access": "read", "days": "30"})
    assert page.status_code == 200
    secret = re.search(r'id="new-token">(rr_[A-Za-z0-9_-]+)<', page.get_data(as_text=True)).group(1)
    assert page.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(sa.select(ApiToken))
    assert token.digest == tokens.digest(secret) and secret not in (token.prefix, token.digest)
    assert token.read_only and token.user_id == users["executive"].id
    listing = clients["executive"].get("/me/tokens").get_data(as_text=True)
    assert "Power BI" in listing and token.prefix in listing and secret not in listing  # shown once
    response = ApiClient(app.test_client(), secret).get("/api/v1/risks?q=listed")
    assert [item["title"] for item in response.get_json()["items"]] == ["Listed through the API"]
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_token_form_refuses_more_than_a_year_and_no_name(clients):
    for data in (
        {"name": "x", "access": "read", "days": "366"},
        {"name": "", "access": "write", "days": "5"},
    ):
        page = clients["risk_manager"].post("/me/tokens", data=data)
        assert page.status_code == 200 and 'id="new-token"' not in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_revoke_and_nobody_elses(clients, users, app):
    secret = new_token(users["risk_manager"])
    token = db.session.scalar(sa.select(ApiToken))
    assert clients["executive"].post(f"/me/tokens/{token.id}/revoke").status_code == 404
    assert clients["risk_manager"].post(f"/me/tokens/{token.id}/revoke").status_code == 302
    response = ApiClient(app.test_client(), secret).get("/api/v1/risks")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_unknown_and_disabled_users_tokens_are_401(api, users, app):
    client = api(users["risk_manager"])
    assert client.get("/api/v1/risks").status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/risks").status_code == 401
    token.expires_at = utcnow() + timedelta(days=1)
    users["risk_manager"].active = False  # disabling the user kills the token
    db.session.commit()
    assert client.get("/api/v1/risks").status_code == 401
    assert ApiClient(app.test_client(), "rr_" + "x" * 43).get("/api/v1/risks").status_code == 401


def test_a_signed_in_browser_session_is_not_enough(clients):
    response = clients["admin"].get("/api/v1/risks")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert clients["admin"].post("/api/v1/risks", json={}).status_code == 401


def test_read_only_tokens_may_not_write_and_roles_still_hold(api, users, make_risk):
    from tests.api_support import risk_body

    body = risk_body(owner_id=users["risk_manager"].id)
    assert api(users["risk_manager"], read_only=True).post("/api/v1/risks", body).status_code == 403
    assert api(users["executive"]).post("/api/v1/risks", body).status_code == 403  # no more than the role
    assert api(users["risk_manager"]).post("/api/v1/risks", body).status_code == 201


def test_cli_prints_a_working_token(runner, users, app):
    result = runner.invoke(
        args=[
            "tokens",
            "create",
            "--email",
            users["admin"].email,
            "--name",
            "Nightly",
            "--read-only",
            "--days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("rr_")
    token = db.session.scalar(sa.select(ApiToken))
    assert token.read_only and token.name == "Nightly"
    assert timedelta(days=6) < token.expires_at - utcnow() <= timedelta(days=7)
    assert ApiClient(app.test_client(), secret).get("/api/v1/risks").status_code == 200
    bad = runner.invoke(
        args=["tokens", "create", "--email", users["admin"].email, "--name", "x", "--days", "400"]
    )
    assert bad.exit_code != 0 and "365" in bad.output


@pytest.fixture
def limited_app(tmp_path):
    yield from running_app(tmp_path, RATELIMIT_ENABLED=True, API_RATELIMIT="3 per minute")


def test_rate_limit_per_token_is_429_with_retry_after(limited_app):
    from riskreg.auth.services import create_user

    people = [
        create_user(email=f"reader{n}@example.com", name=f"Reader {n}", role="executive", password=PASSWORD)
        for n in (1, 2)
    ]
    first, second = (ApiClient(limited_app.test_client(), new_token(user, read_only=True)) for user in people)
    assert [first.get("/api/v1/risks").status_code for _ in range(3)] == [200] * 3
    refused = first.get("/api/v1/risks")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert (
        1 <= int(refused.headers["Retry-After"]) <= 61
    )  # the window is a minute (reset_at in whole seconds)
    assert second.get("/api/v1/risks").status_code == 200  # counted per token


@pytest.fixture
def csrf_on(tmp_path):
    yield from running_app(tmp_path, WTF_CSRF_ENABLED=True)


def test_the_api_is_csrf_exempt_but_the_token_page_is_not(csrf_on):
    from riskreg.auth.services import create_user
    from tests.api_support import risk_body

    user = create_user(email="rm@example.com", name="Rhea", role="risk_manager", password=PASSWORD)
    secret = new_token(user)
    created = ApiClient(csrf_on.test_client(), secret).post("/api/v1/risks", risk_body(owner_id=user.id))
    assert created.status_code == 201, created.get_data(as_text=True)  # a bearer token, no CSRF token
    browser = csrf_on.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert browser.post("/me/tokens", data={"name": "x", "access": "read", "days": "5"}).status_code == 400
