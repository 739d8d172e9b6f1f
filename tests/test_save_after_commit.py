"""A save that committed is answered with its redirect even when the database is gone the moment
after the commit: the save views read what they need for the message and the redirect before it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy.orm import Session

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk
from riskreg.sites.models import Site
from tests.conftest import risk_form
from tests.controls_support import new_control
from tests.edit_forms import edited
from tests.test_sites_monitoring import observation_form


@contextmanager
def database_dies_after_commit() -> Iterator[dict[str, bool]]:
    """From a request's commit on, no connection can be had: reusing one fails and so does
    opening a new one, as when the database server goes away."""
    state = {"dead": False, "committed": False}
    engine = db.engine

    def after_commit(session: Session) -> None:
        if has_request_context():
            state["dead"] = state["committed"] = True

    def checkout(*args: Any) -> None:
        if state["dead"]:
            raise sa.exc.DisconnectionError("the database went away")

    def connect(*args: Any) -> None:
        if state["dead"]:
            raise engine.dialect.loaded_dbapi.OperationalError("the database went away")

    sa.event.listen(Session, "after_commit", after_commit)
    sa.event.listen(engine, "checkout", checkout)
    sa.event.listen(engine, "do_connect", connect)
    try:
        yield state
    finally:
        sa.event.remove(Session, "after_commit", after_commit)
        sa.event.remove(engine, "checkout", checkout)
        sa.event.remove(engine, "do_connect", connect)


def last_id(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.max(model.id)))


# name: (role, the post as (url, data) given the objects, where it must send the browser)
Post = Callable[[dict[str, Any], dict[str, Any]], tuple[str, dict[str, Any]]]
SAVES: dict[str, tuple[str, Post, Callable[[dict[str, Any]], str]]] = {
    "risk edit": (
        "risk_manager",
        lambda o, c: (u := f"/risks/{o['risk']}/edit", edited(c, u, "risk-form", title="Renamed")),
        lambda o: f"/risks/{o['risk']}",
    ),
    "risk create": (
        "risk_manager",
        lambda o, c: ("/risks/new", risk_form(owner_id=o["owner"])),
        lambda o: f"/risks/{last_id(Risk)}",
    ),
    "risk archive": (
        "risk_manager",
        lambda o, c: (f"/risks/{o['risk']}/archive", {"reason": "Duplicate"}),
        lambda o: f"/risks/{o['risk']}",
    ),
    "control edit": (
        "risk_manager",
        lambda o, c: (u := f"/controls/{o['control']}/edit", edited(c, u, "control-form", title="Renamed")),
        lambda o: f"/controls/{o['control']}",
    ),
    "control create": (
        "risk_manager",
        lambda o, c: (
            f"/risks/{o['risk']}/controls/new",
            {
                "title": "Patrols",
                "description": "",
                "department_id": str(o["department"]),
                "owner_id": "",
                "due_date": (today() + timedelta(days=30)).isoformat(),
            },
        ),
        lambda o: f"/risks/{o['risk']}#controls",
    ),
    "control start": (
        "department_head",
        lambda o, c: (f"/controls/{o['control']}/start", {"version": o["control_version"]}),
        lambda o: f"/controls/{o['control']}",
    ),
    "control close": (
        "department_head",
        lambda o, c: (
            f"/controls/{o['control']}/close",
            {"version": o["control_version"], "closing_note": "Done"},
        ),
        lambda o: f"/controls/{o['control']}",
    ),
    "site create": (
        "admin",
        lambda o, c: (
            "/sites/new",
            {"name": "Obuasi", "country": "Ghana", "lifecycle": "operating", "asm_approach": "engagement"},
        ),  # fmt: skip
        lambda o: f"/sites/{last_id(Site)}",
    ),
    "site edit": (
        "admin",
        lambda o, c: (u := f"/sites/{o['site']}/edit", edited(c, u, "site-form", region="Ashanti")),
        lambda o: f"/sites/{o['site']}",
    ),
    "site presence": (
        "risk_manager",
        lambda o, c: (
            u := f"/sites/{o['site']}/presence",
            edited(c, u, "presence-form", source="manual", presence="adjacent", reason="Survey"),
        ),
        lambda o: f"/sites/{o['site']}",
    ),
    "site observation": (
        "risk_manager",
        lambda o, c: (f"/sites/{o['site']}/observations/new", observation_form()),
        lambda o: f"/sites/{o['site']}#timeline",
    ),
}


@pytest.fixture
def objects(make_risk, make_site, users):
    from tests.conftest import department_id

    control = new_control(users["risk_manager"], "Security")
    return {
        "risk": make_risk().id,
        "owner": users["risk_manager"].id,
        "control": control.id,
        "control_version": control.version,
        "department": department_id("Security"),
        "site": make_site().id,
    }


@pytest.mark.parametrize("name", SAVES)
def test_a_committed_save_redirects_even_if_the_database_dies_after_the_commit(clients, objects, name):
    role, post, destination = SAVES[name]
    client = clients[role]
    url, data = post(objects, client)
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    with database_dies_after_commit() as state:
        response = client.post(url, data=data)
    assert state["committed"], "the save did not commit"
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == destination(objects)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) > events  # it was saved
