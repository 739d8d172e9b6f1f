"""/api/v1/risks: the register's filters and cursors, reads, and changes through the services with
ETag / If-Match, audited with via: api and the token's name."""

from __future__ import annotations

import html

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.risks.models import Risk, RiskStatus
from tests.api_support import risk_body


def test_list_with_a_filter_and_keyset_pages(api, users, make_risk, make_site):
    site = make_site(name="Obuasi")
    for n in range(5):
        make_risk(title=f"Site risk {n}", site_id=site.id)
    make_risk(title="Corporate risk")
    client = api(users["executive"], read_only=True)
    response = client.get(f"/api/v1/risks?site={site.id}&per_page=2")
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert {item["site"]["name"] for item in page["items"]} == {"Obuasi"}
    seen = [item["ref"] for item in page["items"]]
    while page["links"]["next"]:
        assert "after=" in page["links"]["next"]
        page = client.get(page["links"]["next"]).get_json()
        seen += [item["ref"] for item in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    corporate = client.get("/api/v1/risks?site=corporate").get_json()
    assert [item["title"] for item in corporate["items"]] == ["Corporate risk"]


def test_bad_filters_are_the_pages_400s_as_problems(api, users, clients):
    client = api(users["executive"], read_only=True)
    for query in ("status=nope", "site=abc", "sort=colour", "likelihood=9", "after=garbage"):
        response = client.get(f"/api/v1/risks?{query}")
        page = clients["executive"].get(f"/risks?{query}")
        assert response.status_code == page.status_code == 400, query
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 400 and problem["detail"] in html.unescape(page.get_data(as_text=True))


def test_create_read_and_the_audit_says_via_api(api, users):
    client = api(users["risk_manager"], name="ERP sync")
    response = client.post("/api/v1/risks", risk_body(owner_id=users["risk_manager"].id))
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["ref"].startswith("R-") and created["residual_band"]["key"]
    assert response.headers["ETag"] == f'"{created["version"]}"'
    assert response.headers["Location"].endswith(f"/api/v1/risks/{created['id']}")
    read = client.get(f"/api/v1/risks/{created['id']}")
    assert read.get_json() == created
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "risk", AuditEvent.entity_id == created["id"])
    )
    assert event.action == "create" and event.via == "api, token “ERP sync”"
    assert event.actor_id == users["risk_manager"].id


def test_update_with_if_match_then_412_on_the_old_etag(api, users, make_risk, clients):
    risk = make_risk()
    client = api(users["risk_manager"], name="ERP sync")
    etag = client.get(f"/api/v1/risks/{risk.id}").headers["ETag"]
    response = client.patch(f"/api/v1/risks/{risk.id}", {"title": "Encroachment, north"}, if_match=etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["title"] == "Encroachment, north"
    assert response.headers["ETag"] != etag
    history = clients["executive"].get(f"/risks/{risk.id}").get_data(as_text=True)
    assert "via: api, token “ERP sync”" in history
    replay = client.patch(f"/api/v1/risks/{risk.id}", {"title": "Something else"}, if_match=etag)
    assert replay.status_code == 412 and replay.mimetype == "application/problem+json"
    assert replay.get_json()["current"]["title"] == "Encroachment, north"
    assert replay.headers["ETag"] == response.headers["ETag"]
    db.session.expire_all()
    assert db.session.get(Risk, risk.id).title == "Encroachment, north"


def test_a_write_without_if_match_is_428_and_writes_nothing(api, users, make_risk):
    risk = make_risk()
    client = api(users["risk_manager"])
    for method, path, body in (
        ("PATCH", f"/api/v1/risks/{risk.id}", {"title": "X"}),
        ("POST", f"/api/v1/risks/{risk.id}/archive", {}),
    ):
        response = client.send(method, path, body)
        assert response.status_code == 428, (path, response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Risk, risk.id).version == risk.version


def test_the_services_rules_answer_per_field(api, users, make_risk):
    risk = make_risk()
    client = api(users["risk_manager"])
    etag = client.get(f"/api/v1/risks/{risk.id}").headers["ETag"]
    response = client.patch(
        f"/api/v1/risks/{risk.id}", {"residual_impact": 5, "residual_likelihood": 5}, if_match=etag
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "residual_impact"
    for field, value in (("owner_id", 999999), ("site_id", 424242), ("category", "Gossip")):
        response = client.patch(f"/api/v1/risks/{risk.id}", {field: value}, if_match=etag)
        assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == field


def test_archive_and_restore(api, users, make_risk):
    risk = make_risk()
    client = api(users["risk_manager"])
    etag = client.get(f"/api/v1/risks/{risk.id}").headers["ETag"]
    archived = client.post(f"/api/v1/risks/{risk.id}/archive", {"reason": "Duplicate"}, if_match=etag)
    assert archived.status_code == 200 and archived.get_json()["status"] == "archived"
    again = client.patch(f"/api/v1/risks/{risk.id}", {"title": "X"}, if_match=archived.headers["ETag"])
    assert again.status_code == 422  # the service's rule: restore before editing
    restored = client.post(f"/api/v1/risks/{risk.id}/restore", if_match=archived.headers["ETag"])
    assert restored.status_code == 200 and restored.get_json()["status"] == "open"
    db.session.expire_all()
    assert db.session.get(Risk, risk.id).status is RiskStatus.OPEN
    history = client.get(f"/api/v1/risks/{risk.id}/history").get_json()["items"]
    assert [event["action"] for event in history[:2]] == ["restore", "archive"]
    assert history[0]["via"].startswith("api")


def test_unknown_risk_is_a_404_problem(api, users):
    response = api(users["executive"], read_only=True).get("/api/v1/risks/987654")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert api(users["executive"]).get("/api/v1/nothing-here").status_code == 404
