"""/api/v1/controls, /sites and observations: the tracker's filters, the head's actions on their own
department's controls only, verify by risk managers, observations through the monitoring service."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.controls.models import Control, ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites.models import AsmObservation
from tests.conftest import department_id
from tests.controls_support import new_control


def test_list_filter_and_read_controls(api, users, make_risk):
    risk = make_risk()
    security = new_control(users["risk_manager"], "Security", risks=[risk])
    new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    client = api(users["executive"], read_only=True)
    page = client.get(f"/api/v1/controls?department={department_id('Security')}").get_json()
    assert [item["ref"] for item in page["items"]] == [security.ref] and page["total"] == 1
    assert page["items"][0]["risks"][0]["ref"] == risk.ref
    assert client.get("/api/v1/controls?status=nope").status_code == 400
    one = client.get(f"/api/v1/controls/{security.id}")
    assert one.get_json()["department"]["name"] == "Security" and one.headers["ETag"]


def test_create_then_the_heads_workflow_and_verification(api, users, make_risk):
    risk = make_risk()
    manager = api(users["risk_manager"], name="ERP")
    due = (today() + timedelta(days=10)).isoformat()
    body = {
        "title": "Fence the pit",
        "department_id": department_id("Security"),
        "due_date": due,
        "risk_ids": [risk.id],
    }
    created = manager.post("/api/v1/controls", body)
    assert created.status_code == 201, created.get_data(as_text=True)
    control = created.get_json()
    assert control["owner"]["name"] == "Sam Security"  # the department's head by default
    head = api(users["department_head"])
    url = f"/api/v1/controls/{control['id']}"
    started = head.post(f"{url}/start", if_match=created.headers["ETag"])
    assert started.status_code == 200 and started.get_json()["status"] == "in_progress"
    assert head.post(f"{url}/notes", {"body": "Posts ordered."}).status_code == 201
    assert head.post(f"{url}/close", {"note": ""}, if_match=started.headers["ETag"]).status_code == 422
    closed = head.post(f"{url}/close", {"note": "Fence up."}, if_match=started.headers["ETag"])
    assert closed.status_code == 200 and closed.get_json()["status"] == "implemented"
    assert (
        head.post(
            f"{url}/verify", {"effectiveness": "effective"}, if_match=closed.headers["ETag"]
        ).status_code
        == 403
    )
    verified = manager.post(f"{url}/verify", {"effectiveness": "effective"}, if_match=closed.headers["ETag"])
    assert verified.status_code == 200 and verified.get_json()["effectiveness"] == "effective"
    stale = manager.patch(url, {"title": "Late"}, if_match=closed.headers["ETag"])
    assert stale.status_code == 412 and stale.get_json()["current"]["status"] == "verified"
    actions = [e["action"] for e in manager.get(f"{url}/history").get_json()["items"]]
    assert actions[:4] == ["verify", "close", "note", "start"]
    vias = db.session.scalars(sa.select(AuditEvent.via).where(AuditEvent.entity == "control"))
    assert set(vias) == {"api, token “ERP”", "api, token “Test sync”"}


def test_a_head_may_not_change_another_departments_control(api, users):
    legal = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    head = api(users["department_head"])
    response = head.post(f"/api/v1/controls/{legal.id}/start", if_match=f'"{legal.version}"')
    assert response.status_code == 403
    assert head.post(f"/api/v1/controls/{legal.id}/notes", {"body": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Control, legal.id).status is ControlStatus.PLANNED


def test_control_rules_answer_per_field(api, users):
    manager = api(users["risk_manager"])
    response = manager.post("/api/v1/controls", {"title": "x", "department_id": 99999, "due_date": None})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "department_id"
    response = manager.post(
        "/api/v1/controls", {"title": "x", "department_id": department_id("Legal"), "due_date": None}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] in {"owner_id", "due_date"}


def test_sites_and_observations(api, users, make_site):
    site = make_site(name="Tarkwa")
    reader = api(users["executive"], read_only=True)
    assert [s["name"] for s in reader.get("/api/v1/sites").get_json()["items"]] == ["Tarkwa"]
    assert reader.get(f"/api/v1/sites/{site.id}").get_json()["asm_presence"]
    assert reader.get("/api/v1/sites/424242").status_code == 404
    body = {
        "observed_on": today().isoformat(),
        "location": "on_concession",
        "miners_estimate": 40,
        "activity_type": "alluvial",
        "source": "field_visit",
    }
    assert api(users["executive"]).post(f"/api/v1/sites/{site.id}/observations", body).status_code == 403
    recorder = api(users["risk_manager"])
    future = {**body, "observed_on": (today() + timedelta(days=2)).isoformat()}
    refused = recorder.post(f"/api/v1/sites/{site.id}/observations", future)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "observed_on"
    created = recorder.post(f"/api/v1/sites/{site.id}/observations", body)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["miners_estimate"] == 40
    listed = reader.get(f"/api/v1/sites/{site.id}/observations").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count(AsmObservation.id))) == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "asm_observation"))
    assert event.via.startswith("api")
    engagements = reader.get(f"/api/v1/sites/{site.id}/engagements").get_json()
    assert engagements == {"items": [], "total": 0, "links": {"next": None, "prev": None}}


def test_dashboard_figures_and_requirements(api, users, make_risk):
    from tests.asm_helpers import load_catalogue

    load_catalogue()
    make_risk()
    client = api(users["executive"], read_only=True)
    figures = client.get("/api/v1/dashboard").get_json()
    residual = next(grid for grid in figures["grids"] if grid["basis"] == "residual")
    assert residual["total"] == 1 and sum(residual["band_counts"].values()) == 1
    assert client.get("/api/v1/dashboard?direction=sideways").status_code == 400
    requirements = client.get("/api/v1/requirements").get_json()["items"]
    assert requirements and {"code", "framework", "title"} <= requirements[0].keys()


def test_coverage_is_the_standards_matrix(api, users, make_risk, make_site):
    """The same cells as /standards (riskreg.standards.coverage), and the page's 400 for a bad key."""
    from riskreg.standards.coverage import coverage_matrix
    from tests.asm_helpers import load_catalogue

    load_catalogue()
    make_site(name="Tarkwa North")
    client = api(users["executive"], read_only=True)
    response = client.get("/api/v1/coverage")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    matrix = coverage_matrix()
    assert [c["label"] for c in body["columns"]] == [label for _, label in matrix.columns]
    assert body["totals"] == matrix.totals() and sum(body["totals"].values()) > 0
    first = body["frameworks"][0]["rows"][0]
    assert {cell["state"] for cell in first["cells"]} <= {"covered", "planned", "gap"}
    key = body["frameworks"][0]["key"]
    only = client.get(f"/api/v1/coverage?framework={key}").get_json()
    assert [f["key"] for f in only["frameworks"]] == [key]
    refused = client.get("/api/v1/coverage?framework=nonsense")
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
