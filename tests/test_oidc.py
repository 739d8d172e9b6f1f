"""OpenID Connect sign-in against a real provider on loopback (tests/oidc_provider.py, Authlib's
server components, RS256 ID tokens): a new user signs in and lands with the mapped role, later
sign-ins bring the account up to date, logout ends the provider's session too; every attack is
refused with a clear page and an audit event; misconfiguration stops the start."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from riskreg import create_app
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role, SignInSource, User
from riskreg.extensions import db
from tests.conftest import PASSWORD, make_config, running_app, text_of
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OpenIDProvider

ROLE_MAP = {
    "grp-admin": "admin",
    "grp-risk": "risk_manager",
    "grp-security": {"role": "department_head", "department": "Security"},
}


@pytest.fixture(scope="session")
def provider():
    running = OpenIDProvider().start()
    yield running
    running.stop()


def oidc_settings(provider: OpenIDProvider, **over) -> dict:
    settings = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_NAME": "Mine Co",
        "OIDC_ROLE_MAP": json.dumps(ROLE_MAP),
    }
    settings.update(over)
    return settings


@pytest.fixture
def oidc_app(tmp_path, provider):
    provider.reset()
    yield from running_app(tmp_path, **oidc_settings(provider))
    provider.reset()


def to_provider(client, provider: OpenIDProvider) -> str:
    """Start the sign-in at riskreg and let the provider approve it: the callback riskreg is sent
    back to (path and query)."""
    start = client.get("/login/oidc")
    assert start.status_code == 302 and start.headers["Location"].startswith(f"{provider.issuer}/authorize?")
    approved = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["Location"])
    assert back.path == "/login/oidc/callback", approved.headers["Location"]
    return f"{back.path}?{back.query}"


def sso_sign_in(client, provider: OpenIDProvider):
    return client.get(to_provider(client, provider))


def refusals() -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "sign_in", AuditEvent.action == "refused")
        )
    )


def users_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_the_login_page_offers_the_provider(oidc_app):
    page = oidc_app.test_client().get("/login")
    assert "Sign in with Mine Co" in text_of(page)


def test_the_request_carries_pkce_state_and_nonce(oidc_app, provider):
    start = oidc_app.test_client().get("/login/oidc")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["scope"] == ["openid email profile"]
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]


def test_a_new_user_signs_in_and_lands_with_the_mapped_role(oidc_app, provider):
    client = oidc_app.test_client()
    response = sso_sign_in(client, provider)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/me").status_code == 200
    user = db.session.scalar(sa.select(User).where(User.email == "ada@mine.example"))
    assert user.role is Role.RISK_MANAGER and user.source is SignInSource.OIDC and user.name == "Ada Lovelace"
    assert user.external_id == f"{provider.issuer} 00u-ada-0001" and user.last_login_at is not None
    created = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "create")
    )
    assert created.actor_id is None and created.changes["role"] == [None, "risk_manager"]
    assert "grp-risk" in created.note
    assert client.get("/risks/new").status_code == 200  # the risk manager's rights, no more
    assert client.get("/users").status_code == 403


def test_later_sign_ins_update_name_role_and_department_audited(oidc_app, provider):
    sso_sign_in(oidc_app.test_client(), provider)
    provider.person.name = "Ada King"
    provider.person.groups = ["grp-other", "grp-security"]
    client = oidc_app.test_client()
    assert sso_sign_in(client, provider).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "ada@mine.example"))
    db.session.refresh(user)
    assert (
        user.role is Role.DEPARTMENT_HEAD and user.department.name == "Security" and user.name == "Ada King"
    )
    update = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "update")
    )
    assert update.changes["role"] == ["risk_manager", "department_head"]
    assert update.changes["name"] == ["Ada Lovelace", "Ada King"]
    assert users_count() == 1


def test_the_first_mapped_group_wins(oidc_app, provider):
    provider.person.groups = ["grp-risk", "grp-admin"]  # the map lists admin first
    sso_sign_in(oidc_app.test_client(), provider)
    assert db.session.scalar(sa.select(User.role).where(User.email == "ada@mine.example")) is Role.ADMIN


def assert_refused(client, response, reason: str, status: int = 400) -> AuditEvent:
    assert response.status_code == status, text_of(response)
    assert "You cannot sign in to riskreg" in text_of(response)
    assert client.get("/me").status_code == 302  # not signed in
    (event,) = refusals()
    assert event.changes["reason"] == [None, reason] and event.changes["source"] == [None, "oidc"]
    return event


def test_a_wrong_state_is_refused(oidc_app, provider):
    client = oidc_app.test_client()
    callback = to_provider(client, provider)
    query = parse_qs(urlsplit(callback).query)
    response = client.get(f"/login/oidc/callback?code={query['code'][0]}&state=forged-state")
    assert_refused(client, response, "mismatching_state")
    assert users_count() == 0


def test_a_replayed_callback_and_a_replayed_code_are_refused(oidc_app, provider):
    client = oidc_app.test_client()
    callback = to_provider(client, provider)
    assert client.get(callback).status_code == 302
    client.post("/logout")
    again = client.get(callback)  # the same callback: its state was used up
    assert again.status_code == 400 and client.get("/me").status_code == 302
    # The old code under a fresh state: the provider refuses it (a code works once).
    other = oidc_app.test_client()
    fresh = parse_qs(urlsplit(to_provider(other, provider)).query)
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    response = other.get(f"/login/oidc/callback?code={old_code}&state={fresh['state'][0]}")
    assert response.status_code == 400 and other.get("/me").status_code == 302
    reasons = [event.changes["reason"][1] for event in refusals()]
    assert reasons == ["mismatching_state", "invalid_grant"]


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ({"nonce": "not-the-nonce-we-sent"}, "InvalidClaimError: nonce"),
        ({"other_key": True}, "BadSignatureError"),
        ({"aud": ["someone-else"]}, "InvalidClaimError: aud"),
        ({"aud": ["someone-else"], "azp": CLIENT_ID}, "InvalidClaimError: aud"),
        ({"expired": True}, "ExpiredTokenError: exp"),
        ({"iss": "http://evil.example"}, "InvalidClaimError: iss"),
    ],
    ids=[
        "wrong nonce",
        "signed by another key",
        "wrong audience",
        "wrong audience naming us as authorised party",
        "expired",
        "issuer mismatch",
    ],
)
def test_an_id_token_that_cannot_be_trusted_is_refused(oidc_app, provider, behaviour, reason):
    provider.behaviour.update(behaviour)
    client = oidc_app.test_client()
    event = assert_refused(client, sso_sign_in(client, provider), reason)
    assert event.note  # the error, for whoever reads the trail
    assert users_count() == 0


def test_a_user_in_no_mapped_group_gets_no_access_and_is_told_whom_to_ask(oidc_app, provider):
    provider.person.groups = ["grp-canteen"]
    client = oidc_app.test_client()
    response = sso_sign_in(client, provider)
    event = assert_refused(client, response, "no_mapping", status=403)
    assert "none of the groups" in text_of(response) and "Ask your riskreg administrator" in text_of(response)
    assert "grp-canteen" in event.note
    assert users_count() == 0  # no account, no default role


def test_a_user_removed_from_the_groups_loses_access(oidc_app, provider):
    sso_sign_in(oidc_app.test_client(), provider)
    provider.person.groups = []
    client = oidc_app.test_client()
    assert_refused(client, sso_sign_in(client, provider), "no_mapping", status=403)


def test_an_account_turned_off_in_riskreg_stays_off(oidc_app, provider):
    sso_sign_in(oidc_app.test_client(), provider)
    db.session.execute(sa.update(User).values(active=False))
    db.session.commit()
    client = oidc_app.test_client()
    assert_refused(client, sso_sign_in(client, provider), "inactive", status=403)


def test_a_local_account_with_the_same_email_is_not_taken_over(oidc_app, provider, make_user):
    local = make_user(Role.ADMIN, email="ada@mine.example")
    client = oidc_app.test_client()
    assert_refused(client, sso_sign_in(client, provider), "email_taken")
    db.session.refresh(local)
    assert local.source is SignInSource.LOCAL


def test_an_sso_account_has_no_password_and_no_second_factor_here(oidc_app, provider):
    client = oidc_app.test_client()
    sso_sign_in(client, provider)
    page = client.get("/me/settings/two-factor")
    assert "its sign-in asks for your second factor" in text_of(page)
    settings = text_of(client.get("/me/settings"))
    assert "change its password there" in settings and "Current password" not in settings
    for password in ("", "!external", PASSWORD):
        response = oidc_app.test_client().post(
            "/login", data={"email": "ada@mine.example", "password": password}
        )
        assert response.status_code == 200


def test_logout_ends_the_providers_session_too(oidc_app, provider):
    client = oidc_app.test_client()
    sso_sign_in(client, provider)
    response = client.post("/logout")
    target = urlsplit(response.headers["Location"])
    assert (
        response.status_code == 302
        and f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/logout"
    )
    query = parse_qs(target.query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert client.get("/me").status_code == 302


def test_without_an_issuer_there_is_no_company_sign_in(app):
    client = app.test_client()
    assert "Sign in with" not in text_of(client.get("/login"))
    assert client.get("/login/oidc").status_code == 404


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"OIDC_ISSUER": "http://idp.example.com"}, "RISKREG_OIDC_ISSUER must be an https:// address"),
        ({"OIDC_CLIENT_SECRET": ""}, "RISKREG_OIDC_CLIENT_SECRET must be set"),
        ({"OIDC_ROLE_MAP": ""}, "RISKREG_OIDC_ROLE_MAP must map at least one group"),
        ({"OIDC_ROLE_MAP": "{not json"}, "RISKREG_OIDC_ROLE_MAP is not valid JSON"),
        ({"OIDC_ROLE_MAP": '{"g": "superuser"}'}, "RISKREG_OIDC_ROLE_MAP: group 'g' names the unknown role"),
        ({"OIDC_ROLE_MAP": '{"g": "department_head"}'}, "without a department"),
        ({"OIDC_ROLE_MAP": '{"g": {"role": "department_head", "department": "Catering"}}'}, "Catering"),
    ],
    ids=[
        "plain http",
        "no secret",
        "no map",
        "bad json",
        "unknown role",
        "head without department",
        "unknown department",
    ],
)
def test_misconfiguration_is_refused_at_start_up(app, provider, tmp_path, over, message):
    # The same database as `app`, which holds the departments.
    config = make_config(sqlite_path=tmp_path / "riskreg.sqlite", **oidc_settings(provider, **over))
    with pytest.raises(ValueError, match=message):
        create_app(config)


def test_an_unreachable_issuer_is_refused_at_start_up(tmp_path, provider):
    issuer = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(
        ValueError, match="RISKREG_OIDC_ISSUER: the provider's discovery document .* could not be read"
    ):
        create_app(make_config(**oidc_settings(provider, OIDC_ISSUER=issuer)))


def test_an_issuer_the_provider_does_not_announce_is_refused_at_start_up(tmp_path, provider):
    provider.behaviour["discovery_issuer"] = "https://login.example.com/other-tenant"
    try:
        with pytest.raises(ValueError, match="names the issuer 'https://login.example.com/other-tenant'"):
            create_app(make_config(**oidc_settings(provider)))
    finally:
        provider.reset()
