"""LDAP / Active Directory sign-in against a real OpenLDAP slapd on loopback (tests/ldap_directory.py):
bind-then-search over StartTLS with the certificate checked, groups (memberOf) mapped to roles,
a wrong password or an injected filter refused, a user removed from the group out at the next
sign-in, a directory that is down said so while local break-glass sign-in still works."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from riskreg import create_app
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role, SignInSource, User
from riskreg.extensions import db
from tests import ldap_directory as d
from tests.conftest import PASSWORD, make_config, running_app, text_of


@pytest.fixture(scope="session")
def directory(tmp_path_factory):
    reason = d.missing_reason()
    if reason:
        pytest.skip(reason)
    running = d.start(tmp_path_factory.mktemp("slapd"))
    yield running
    running.stop()


def ldap_settings(directory: d.Directory, **over) -> dict:
    settings = {
        "LDAP_URL": directory.url,
        "LDAP_START_TLS": True,
        "LDAP_CA_FILE": str(directory.cert),
        "LDAP_BIND_DN": d.SERVICE_DN,
        "LDAP_BIND_PASSWORD": d.SERVICE_PASSWORD,
        "LDAP_USER_BASE": d.PEOPLE,
        # Leaves out disabled accounts, as (!(userAccountControl:1.2.840.113556.1.4.803:=2)) does in AD.
        "LDAP_USER_FILTER": "(&(|(uid={username})(mail={username}))(!(employeeType=disabled)))",
        "LDAP_ROLE_MAP": json.dumps(
            {
                d.group_dn("riskreg-admins"): "admin",
                d.group_dn("riskreg-risk"): "risk_manager",
                d.group_dn("riskreg-security-heads"): {"role": "department_head", "department": "Security"},
            }
        ),
    }
    settings.update(over)
    return settings


@pytest.fixture
def ldap_app(tmp_path, directory):
    yield from running_app(tmp_path, **ldap_settings(directory))


def sign_in(app, name: str, password: str = d.PASSWORD):
    client = app.test_client()
    return client, client.post("/login", data={"email": name, "password": password})


def refusals() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "sign_in")))


def test_a_directory_user_signs_in_and_lands_with_the_mapped_role(ldap_app):
    client, response = sign_in(ldap_app, "jdoe")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/risks/new").status_code == 200 and client.get("/users").status_code == 403
    user = db.session.scalar(sa.select(User).where(User.email == "jane.doe@mine.example"))
    assert user.source is SignInSource.LDAP and user.role is Role.RISK_MANAGER and user.name == "Jane Doe"
    assert user.external_id == d.person_dn("jdoe")
    created = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "create")
    )
    assert created.changes["source"] == [None, "ldap"] and "riskreg-risk" in created.note
    # By email too; and the same account, not a second one.
    _, again = sign_in(ldap_app, "Jane.Doe@mine.example")
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_the_login_page_asks_for_a_user_name_too(ldap_app):
    assert "Email or user name" in text_of(ldap_app.test_client().get("/login"))


def test_a_wrong_password_is_refused_and_counted(ldap_app):
    client, response = sign_in(ldap_app, "jdoe", "not the password")
    assert response.status_code == 200 and "Invalid email or password." in text_of(response)
    assert client.get("/me").status_code == 302
    for _ in range(ldap_app.config["LOGIN_FREE_FAILURES"]):
        sign_in(ldap_app, "jdoe", "not the password")
    _, throttled = sign_in(ldap_app, "jdoe")
    assert throttled.status_code == 429  # throttled like a local password


@pytest.mark.parametrize("name", ["*)(uid=*", "*", "jd*", "*doe", "jdoe)(|(uid=*", "*)(|(objectClass=*"])
def test_ldap_injection_in_the_user_name_is_refused(ldap_app, name):
    # With jdoe's password: unescaped, "jd*" would find her entry alone and sign her in.
    client, response = sign_in(ldap_app, name)
    assert response.status_code == 200 and "Invalid email or password." in text_of(response)
    assert client.get("/me").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_the_disabled_account_is_refused(ldap_app):
    client, response = sign_in(ldap_app, "cgone")  # in riskreg-risk, but disabled in the directory
    assert response.status_code == 200 and "Invalid email or password." in text_of(response)


def test_a_user_removed_from_the_group_loses_access_at_the_next_sign_in(ldap_app, directory):
    client, first = sign_in(ldap_app, "jdoe")
    assert first.status_code == 302
    directory.remove_from_group("jdoe", "riskreg-risk")
    try:
        _, response = sign_in(ldap_app, "jdoe")
    finally:
        directory.add_to_group("jdoe", "riskreg-risk")
    assert response.status_code == 403 and "none of the groups" in text_of(response)
    (event,) = refusals()
    assert event.changes["reason"] == [None, "no_mapping"] and event.changes["source"] == [None, "ldap"]


def test_a_user_in_no_mapped_group_gets_no_account(ldap_app):
    _, response = sign_in(ldap_app, "nogroup")
    assert response.status_code == 403 and "You cannot sign in to riskreg" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_group_change_in_the_directory_changes_the_role(ldap_app, directory):
    sign_in(ldap_app, "jdoe")
    directory.add_to_group("jdoe", "riskreg-security-heads")
    directory.remove_from_group("jdoe", "riskreg-risk")
    try:
        _, response = sign_in(ldap_app, "jdoe")
    finally:
        directory.add_to_group("jdoe", "riskreg-risk")
        directory.remove_from_group("jdoe", "riskreg-security-heads")
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "jane.doe@mine.example"))
    db.session.refresh(user)
    assert user.role is Role.DEPARTMENT_HEAD and user.department.name == "Security"


def test_the_directory_down_says_so_and_break_glass_still_works(tmp_path, directory, make_user):
    # `make_user` builds its users in the `app` fixture's database; a second app on the same file
    # points at a directory that is not there.
    admin = make_user(Role.ADMIN, email="breakglass@mine.example")
    settings = ldap_settings(directory, LDAP_URL=f"ldap://127.0.0.1:{d.free_port()}", LDAP_TIMEOUT=2)
    app = create_app(make_config(sqlite_path=tmp_path / "riskreg.sqlite", **settings))
    with app.app_context():
        down = app.test_client().post("/login", data={"email": "jdoe", "password": d.PASSWORD})
        assert down.status_code == 503 and "directory cannot be reached" in text_of(down)
        local = app.test_client().post("/login", data={"email": admin.email, "password": PASSWORD})
        assert local.status_code == 302 and local.headers["Location"] == "/"
        db.session.remove()
        db.engine.dispose()


def test_the_directory_certificate_is_checked(tmp_path, directory):
    other_cert, _ = d.self_signed(tmp_path)
    settings = ldap_settings(directory, LDAP_CA_FILE=str(other_cert))
    for app in running_app(tmp_path, **settings):
        response = app.test_client().post("/login", data={"email": "jdoe", "password": d.PASSWORD})
        assert response.status_code == 503  # StartTLS with a certificate nobody vouches for


def test_plain_ldap_only_when_explicitly_allowed(tmp_path, directory):
    plain = ldap_settings(directory, LDAP_START_TLS=False, LDAP_CA_FILE="")
    with pytest.raises(ValueError, match="RISKREG_LDAP_URL .* has no TLS"):
        create_app(make_config(**plain))
    for app in running_app(tmp_path, LDAP_ALLOW_PLAIN=True, **plain):
        _, response = sign_in(app, "bsmith")
        assert response.status_code == 302
        assert (
            db.session.scalar(sa.select(User.role).where(User.email == "bob.smith@mine.example"))
            is Role.ADMIN
        )


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"LDAP_URL": "http://dc1.example"}, "RISKREG_LDAP_URL must be ldaps://"),
        ({"LDAP_USER_BASE": ""}, "RISKREG_LDAP_USER_BASE must be set"),
        ({"LDAP_USER_FILTER": "(uid=%s)"}, "RISKREG_LDAP_USER_FILTER must contain {username}"),
        ({"LDAP_ROLE_MAP": '{"cn=x": "root"}'}, "RISKREG_LDAP_ROLE_MAP: group 'cn=x' names the unknown role"),
        ({"LDAP_ROLE_MAP": '{"cn=x": {"role": "department_head", "department": "Canteen"}}'}, "Canteen"),
        ({"LDAP_CA_FILE": "/nonexistent/ca.pem"}, "RISKREG_LDAP_CA_FILE"),
        ({"LDAP_BIND_PASSWORD": ""}, "RISKREG_LDAP_BIND_PASSWORD must be set"),
    ],
    ids=[
        "not ldap",
        "no base",
        "no placeholder",
        "unknown role",
        "unknown department",
        "bad CA",
        "no bind password",
    ],
)
def test_misconfiguration_is_refused_at_start_up(app, directory, tmp_path, over, message):
    config = make_config(sqlite_path=tmp_path / "riskreg.sqlite", **ldap_settings(directory, **over))
    with pytest.raises(ValueError, match=message):
        create_app(config)


def test_an_empty_password_is_never_sent_as_an_unauthenticated_bind(ldap_app):
    from riskreg.auth import ldap

    with ldap_app.test_request_context():
        assert ldap.find_and_check("jdoe", "") is None  # the directory would answer "success"
        assert ldap.find_and_check("jdoe", d.PASSWORD).dn == d.person_dn("jdoe")
