"""Database faults get riskreg's own page saying what happened, with its security headers: a database
that is gone, read-only or busy is a 503 (never a bare 500 or a traceback), and /healthz?ready tells
a load balancer that saves would be refused."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from riskreg import create_app
from riskreg.extensions import db
from riskreg.risks.models import Risk
from tests.conftest import PASSWORD, TEST_DATABASE_URL, make_config, risk_form, running_app

ON_POSTGRESQL = TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture
def app(tmp_path) -> Flask:
    """The app (and so the users) in a folder of its own, which can be taken away. As in production,
    exceptions are not propagated to the test: a failing error handler would be a bare 500."""
    folder = tmp_path / "live"
    folder.mkdir()
    yield from running_app(folder, PROPAGATE_EXCEPTIONS=False)


def sibling_app(app: Flask, **overrides) -> Flask:
    """Another worker of the same deployment (same secret key, so the same sign-in cookies)."""
    other = create_app(
        make_config(SECRET_KEY=app.config["SECRET_KEY"], PROPAGATE_EXCEPTIONS=False, **overrides)
    )
    other.test_client_class = OwnContextClient
    return other


def client_of(app: Flask, signed_in: FlaskClient) -> FlaskClient:
    """A client of `app` holding the cookie of a client signed in elsewhere."""
    client = app.test_client()
    cookie = signed_in.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value)
    return client


class OwnContextClient(FlaskClient):
    """Each request in its own app context, like FreshContextClient, without first committing the
    test's session (which would need the database that is gone)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


def database_gone(app: Flask) -> Flask:
    """The database goes away under a running app; returns the app that now serves the requests."""
    if ON_POSTGRESQL:
        dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/riskreg"
        return sibling_app(app, SQLALCHEMY_DATABASE_URI=dead)
    path = Path(db.engine.url.database)
    db.session.remove()
    path.parent.rename(path.parent.with_name("gone"))  # the volume is unmounted, say
    db.engine.dispose()  # no pooled connection keeps the old file open: the next one must reconnect
    app.test_client_class = OwnContextClient
    return app


def read_only_app(app: Flask) -> Flask:
    """A worker of the same deployment whose database refuses writes (a read-only file, or a role
    whose transactions are read-only)."""
    if ON_POSTGRESQL:
        options = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
        return sibling_app(app, SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, SQLALCHEMY_ENGINE_OPTIONS=options)
    path = db.engine.url.database
    return sibling_app(app, SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{path}?mode=ro&uri=true")


def assert_riskregs_page(response, status: int, words: str) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert words in page
    assert "riskreg" in page and "Traceback" not in page and "Internal Server Error" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    return page


def test_a_signed_in_page_with_the_database_gone_is_riskregs_503(app, users, login):
    client = login(users["risk_manager"])
    assert client.get("/risks").status_code == 200
    name, form = users["risk_manager"].name, risk_form(owner_id=users["risk_manager"].id)
    serving = database_gone(app)
    client = client_of(serving, client)
    response = client.get("/risks")
    page = assert_riskregs_page(response, 503, "The database cannot be reached.")
    assert response.headers["Retry-After"] == "30"
    assert name not in page  # the page did not try to load who is signed in
    saved = client.post("/risks/new", data=form)
    assert_riskregs_page(saved, 503, "Nothing of yours was saved.")
    assert client.get("/healthz?ready").status_code == 503
    assert client.get("/healthz").status_code == 200  # liveness: no restart for a database outage
    api = client.get("/risks", headers={"Accept": "application/json"})
    assert api.status_code == 503 and api.json["message"].startswith("The database cannot be reached.")


def test_an_unknown_address_with_the_database_gone_is_riskregs_404(app, users, login):
    """The 404 page looks up the signed-in user for its menu: with the database gone it does without."""
    client = login(users["risk_manager"])
    serving = database_gone(app)
    client = client_of(serving, client)
    assert_riskregs_page(client.get("/no/such/page"), 404, "Not found")


def test_healthz_ready_says_the_database_is_read_only(app, users):
    assert app.test_client().get("/healthz?ready").json == {
        "status": "ok",
        "database": "accepts writes",
        "jobs": "reachable, 0 waiting",
    }
    client = read_only_app(app).test_client()
    assert client.get("/healthz").status_code == 200  # liveness: plain /healthz touches nothing
    ready = client.get("/healthz?ready")
    assert ready.status_code == 503
    assert ready.json == {
        "status": "unavailable",
        "database": "read-only: saves are refused",
        "jobs": "reachable, 0 waiting",  # the queue is not the database: it still answers
        "failed": ["database"],
    }


def test_sign_in_and_saves_on_a_read_only_database_say_so(app, users, login):
    signed_in = login(users["risk_manager"])
    read_only = read_only_app(app)
    response = read_only.test_client().post(
        "/login", data={"email": users["admin"].email, "password": PASSWORD}
    )
    assert_riskregs_page(response, 503, "The database is read-only")
    assert "Tell an administrator." in response.get_data(as_text=True)
    assert "Retry-After" not in response.headers  # retrying will not help until someone acts
    client = client_of(read_only, signed_in)
    assert client.get("/risks").status_code == 200  # reading still works
    saved = client.post("/risks/new", data=risk_form(owner_id=users["risk_manager"].id))
    assert_riskregs_page(saved, 503, "The database is read-only")
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0


@pytest.mark.skipif(ON_POSTGRESQL, reason="PostgreSQL has no database-wide write lock to wait for")
def test_a_save_that_waits_too_long_for_sqlites_write_lock_is_a_busy_503(app, users, login):
    client = login(users["risk_manager"])
    form = risk_form(owner_id=users["risk_manager"].id)

    @sa.event.listens_for(db.engine, "connect")
    def _short_wait(dbapi_conn, _record) -> None:  # after the app's own listener: 0.2 s, not 10 s
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    db.session.remove()
    db.engine.dispose()
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long import holding the write lock, say
    try:
        response = client.post("/risks/new", data=form)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    page = assert_riskregs_page(response, 503, "riskreg is busy saving another change.")
    assert response.headers["Retry-After"] == "5" and "try again" in page
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0
    assert client.post("/risks/new", data=form).status_code == 302


def test_health_ready_is_public_and_cheap_without_ready(app):
    """Plain /healthz runs no SQL; ?ready runs a SELECT and the write probe (nothing is written)."""
    from tests.conftest import statements

    client = app.test_client()
    with statements(sql_only=True) as plain:
        client.get("/healthz")
    with statements(sql_only=True) as ready:
        client.get("/healthz?ready")
    assert plain == []
    assert len(ready) == 2 and ready[1].startswith("UPDATE app_settings")


def test_a_database_error_that_is_a_bug_is_still_a_500_on_riskregs_page(app, monkeypatch):
    """Only the database's state is a 503: a bad statement is a bug, logged as any other, and the
    person gets riskreg's 500 page (with its headers), not a promise that trying again will help."""
    from riskreg.auth import services

    def broken(*args, **kwargs):
        raise sa.exc.ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(services, "authenticate", broken)
    response = app.test_client().post("/login", data={"email": "a@example.com", "password": PASSWORD})
    assert_riskregs_page(response, 500, "The error has been logged.")
    assert "Retry-After" not in response.headers
