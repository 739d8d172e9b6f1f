"""`flask seed demo`: the demo data loads, and loading it again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks.models import Direction, Risk
from riskreg.sites.models import AsmPresence, Site

TABLES = (User, Department, Site, Risk)


def counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES}


def test_demo_loads_and_is_idempotent(runner):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    assert after_first["sites"] == 3 and after_first["risks"] >= 30
    emails = set(db.session.scalars(sa.select(User.email)))
    assert {
        "admin@example.com",
        "risk@example.com",
        "security.head@example.com",
        "exec@example.com",
    } <= emails
    assert {s.asm_presence for s in db.session.scalars(sa.select(Site))} == set(AsmPresence)
    assert {r.direction for r in db.session.scalars(sa.select(Risk))} == set(Direction)

    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "Nothing to do" in second.output
    assert counts() == after_first


def test_if_empty_leaves_a_database_with_users_alone(runner, users):
    result = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "already has users" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0


def test_demo_logins_are_printed(runner):
    result = runner.invoke(args=["seed", "demo-logins"])
    assert "security.head@example.com" in result.output and "password" in result.output


def test_demo_users_can_sign_in(runner, client):
    runner.invoke(args=["seed", "demo"])
    response = client.post(
        "/login", data={"email": "security.head@example.com", "password": "riskreg-demo-2026"}
    )
    assert response.status_code == 302
