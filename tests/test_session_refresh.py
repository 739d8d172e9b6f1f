"""A signed-in session's cookie slides its 8-hour life forward, re-signed once it is a minute old
(riskreg.security.SESSION_REFRESH_AFTER) and at once when the session changes; a cookie older than
the session's life still signs nobody in."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from riskreg import security


def session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def settled(client) -> None:
    """A page after sign-in (its flash read, the session saved once)."""
    assert client.get("/me").status_code == 200


def test_an_unchanged_session_is_not_signed_again_within_a_minute(clients):
    client = clients["risk_manager"]
    settled(client)
    for path in ("/me", "/risks", "/me"):
        response = client.get(path)
        assert response.status_code == 200
        assert session_cookies(response) == []


def test_a_minute_old_cookie_is_signed_again_with_its_life_from_now(clients, monkeypatch):
    client = clients["risk_manager"]
    settled(client)
    later = datetime.now(UTC) + timedelta(minutes=2)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return later

    monkeypatch.setattr(security, "datetime", Later)
    response = client.get("/me")
    assert response.status_code == 200
    [cookie] = session_cookies(response)
    assert "Expires=" in cookie and "HttpOnly" in cookie
    monkeypatch.undo()
    assert client.get("/me").status_code == 200  # the new cookie signs the same user in
    assert session_cookies(client.get("/me")) == []  # and is itself fresh


def test_a_changed_session_is_sent_at_once(clients):
    client = clients["risk_manager"]
    settled(client)
    response = client.get("/me?lang=fr")
    assert response.status_code == 200
    assert len(session_cookies(response)) == 1


def test_a_cookie_older_than_the_session_life_signs_nobody_in(app, clients, monkeypatch):
    client = clients["risk_manager"]
    settled(client)
    with client.session_transaction() as session:
        data = dict(session)
    serializer = app.session_interface.get_signing_serializer(app)
    then = time.time() - app.permanent_session_lifetime.total_seconds() - 60
    monkeypatch.setattr(time, "time", lambda: then)
    old = serializer.dumps(data)
    monkeypatch.undo()
    client.set_cookie("session", old)
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
