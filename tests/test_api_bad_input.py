"""Every documented write with a malformed body: a 4xx problem naming what is wrong, never a 500,
nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.api.operations import OPS
from riskreg.audit import AuditEvent
from riskreg.extensions import db

WRITES = [op for op in OPS if op.method != "GET"]
MALFORMED = [
    b"",
    b"not json",
    b"[]",
    b"null",
    b'"a string"',
    b"{",
    b'{"title": 5, "inherent_likelihood": "3"}',
    b'{"inherent_likelihood": true, "site_id": 1e400}',
    b'{"unknown_field": 1, "also_unknown": {}}',
    b'{"reason": ["x"]}',
    b'{"title": "\\ud800"}',
    b"[" * 5000 + b"]" * 5000,
    '{"title": "é"}'.encode("latin-1"),
]


@pytest.fixture
def paths(make_risk, make_site, users):
    from tests.controls_support import new_control

    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", risks=[risk])
    return {"risk_id": risk.id, "control_id": control.id, "site_id": make_site().id}


ETAG_OF = {"risk_id": "risks", "control_id": "controls", "site_id": "sites"}


def current_etag(client, op, paths) -> str:
    """The ETag of the record the operation changes: past the version check, the body is at fault."""
    name = next((key for key in ETAG_OF if "{" + key + "}" in op.path), None)
    if name is None:
        return '"1"'
    return client.get(f"/api/v1/{ETAG_OF[name]}/{paths[name]}").headers["ETag"]


def events() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


@pytest.mark.parametrize("op", WRITES, ids=[f"{op.method} {op.rule}" for op in WRITES])
def test_malformed_bodies_are_refused(api, users, paths, op):
    client = api(users["admin"])
    url = "/api/v1" + op.path.format(**paths)
    before = events()
    for raw in MALFORMED:
        etag = current_etag(client, op, paths)
        response = client.send(op.method, url, data=raw, content_type="application/json", if_match=etag)
        if op.body is None:  # nothing reads the body (start, restore): it may succeed, never a 500
            assert response.status_code < 500, (raw[:40], response.get_data(as_text=True))
            continue
        assert response.status_code == 400, (raw[:40], response.status_code, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"
    if op.body is not None:
        assert events() == before


@pytest.mark.parametrize("op", [op for op in WRITES if op.body], ids=lambda op: f"{op.method} {op.rule}")
def test_unknown_fields_are_named(api, users, paths, op):
    response = api(users["admin"]).send(
        op.method, "/api/v1" + op.path.format(**paths), {"colour": "red", "size": 3}, if_match='"1"'
    )
    assert response.status_code == 400
    problem = response.get_json()
    assert "colour" in problem["detail"] and "size" in problem["detail"]
    assert {"field": "colour", "message": "Unknown field."} in problem["errors"]


def test_oversize_bodies_are_413_and_non_json_415(api, users, app):
    client = api(users["admin"])
    before = events()
    huge = b'{"title": "' + b"x" * (app.config["API_MAX_BODY"] + 1) + b'"}'
    response = client.send("POST", "/api/v1/risks", data=huge, content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    form = client.send("POST", "/api/v1/risks", data={"title": "x"})
    assert form.status_code == 415
    assert events() == before


def test_wrong_types_name_each_field(api, users):
    response = api(users["admin"]).post(
        "/api/v1/risks", {"title": 5, "inherent_likelihood": "3", "owner_id": -1, "direction": "up"}
    )
    assert response.status_code == 400
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert {"title", "inherent_likelihood", "owner_id", "direction", "treatment"} <= fields
