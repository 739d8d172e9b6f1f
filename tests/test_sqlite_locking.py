"""SQLite's write lock is taken only when a request writes: a sign-in holds none while its slow
password hash runs, so other writers commit meanwhile instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from riskreg.auth import services
from riskreg.extensions import db
from tests.conftest import PASSWORD


@pytest.mark.parametrize("password", [PASSWORD, "wrong-wrong-wrong"], ids=["right", "wrong"])
def test_another_writer_commits_while_a_sign_in_hashes(app, users, monkeypatch, password):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock only")
    hashing, release = threading.Event(), threading.Event()
    real_check = services.check_password_hash

    def slow_check(pwhash: str, given: str) -> bool:  # a 600,000-round hash, as long as we like
        hashing.set()
        release.wait(10)
        return real_check(pwhash, given)

    monkeypatch.setattr(services, "check_password_hash", slow_check)
    outcome: dict[str, object] = {}

    def sign_in() -> None:
        with app.app_context():
            client = app.test_client()
            outcome["status"] = client.post(
                "/login", data={"email": users["executive"].email, "password": password}
            ).status_code

    thread = threading.Thread(target=sign_in)
    thread.start()
    other = sqlite3.connect(db.engine.url.database, timeout=0.5, isolation_level=None)
    try:
        assert hashing.wait(10)
        other.execute("BEGIN IMMEDIATE")  # fails with "database is locked" if the sign-in holds it
        other.execute("UPDATE departments SET description = 'saved meanwhile' WHERE name = 'Legal'")
        other.execute("COMMIT")
    finally:
        release.set()
        thread.join(10)
        other.close()
    assert outcome["status"] == (302 if password == PASSWORD else 200)
