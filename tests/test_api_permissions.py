"""Every API route x every role, through read-and-write tokens: who gets in, who gets 403, and that
nothing is written on a refusal. Objects the role may see but not change are 403; unknown ids 404
(tests/test_api_risks.py). tests/test_permissions.py checks that every /api/v1 route is here."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db

ALL = {"admin", "risk_manager", "department_head", "executive"}
EDITORS = {"admin", "risk_manager"}
UPDATERS = EDITORS | {"department_head"}  # {control_id} is a Security control; the head heads Security
OPEN = {"anyone"}  # the description of the API: no token needed

# (method, path under /api/v1 with {placeholders}, roles allowed)
API_ROUTES: list[tuple[str, str, set[str]]] = [
    ("GET", "/openapi.json", OPEN),
    ("GET", "/docs", OPEN),
    ("GET", "/docs/assets/{name}", OPEN),
    ("GET", "/risks", ALL),
    ("POST", "/risks", EDITORS),
    ("GET", "/risks/{risk_id}", ALL),
    ("PATCH", "/risks/{risk_id}", EDITORS),
    ("POST", "/risks/{risk_id}/archive", EDITORS),
    ("POST", "/risks/{risk_id}/restore", EDITORS),
    ("GET", "/risks/{risk_id}/history", ALL),
    ("GET", "/controls", ALL),
    ("POST", "/controls", EDITORS),
    ("GET", "/controls/{control_id}", ALL),
    ("PATCH", "/controls/{control_id}", EDITORS),
    ("POST", "/controls/{control_id}/start", UPDATERS),
    ("POST", "/controls/{control_id}/notes", UPDATERS),
    ("POST", "/controls/{control_id}/close", UPDATERS),
    ("POST", "/controls/{control_id}/verify", EDITORS),
    ("GET", "/controls/{control_id}/history", ALL),
    ("GET", "/sites", ALL),
    ("GET", "/sites/{site_id}", ALL),
    ("GET", "/sites/{site_id}/history", ALL),
    ("GET", "/sites/{site_id}/observations", ALL),
    ("POST", "/sites/{site_id}/observations", EDITORS),
    ("GET", "/sites/{site_id}/engagements", ALL),
    ("GET", "/dashboard", ALL),
    ("GET", "/requirements", ALL),
    ("GET", "/coverage", ALL),
]


@pytest.fixture
def objects(make_risk, make_site, users):
    from tests.controls_support import new_control

    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", risks=[risk])
    return {"risk_id": risk.id, "control_id": control.id, "site_id": make_site().id, "name": "swagger-ui.css"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"), API_ROUTES, ids=[f"{m} {p}" for m, p, _ in API_ROUTES]
)
@pytest.mark.parametrize("role", sorted(ALL))
def test_api_role_route_matrix(api, users, objects, method, path, allowed, role):
    client = api(users[role])
    url = "/api/v1" + path.format(**objects)
    events_before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    # An empty JSON body with a wrong ETag: past the permission check it is refused for the body or
    # the version, never written.
    response = client.send(method, url, None if method == "GET" else {}, if_match='"999"')
    response.close()
    if OPEN == allowed or role in allowed:
        assert response.status_code != 403, (role, method, url, response.get_data(as_text=True))
        assert response.status_code < 500
    else:
        assert response.status_code == 403, (role, method, url, response.status_code)
        assert response.mimetype == "application/problem+json"
    db.session.rollback()
    if method != "GET":
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events_before


@pytest.mark.parametrize(
    ("method", "path", "allowed"), API_ROUTES, ids=[f"{m} {p}" for m, p, _ in API_ROUTES]
)
def test_without_a_token_only_the_description_is_open(client, objects, method, path, allowed):
    response = client.open("/api/v1" + path.format(**objects), method=method, json={})
    response.close()
    if allowed == OPEN:
        assert response.status_code == 200
    else:
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
