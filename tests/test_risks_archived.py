"""An archived risk is kept as it was: one predicate (role and risk) decides for the server and
for the buttons, and the risk services refuse to edit it whoever calls them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.permissions import can_edit_risk, can_manage_controls
from riskreg.extensions import db
from riskreg.risks import services
from riskreg.risks.models import Risk, RiskStatus
from tests.conftest import text_of


@pytest.fixture
def archived(make_risk, users):
    risk = make_risk(title="Duplicate of the north encroachment")
    services.archive_risk(risk, users["risk_manager"], "Duplicate")
    db.session.commit()
    return risk


def risk_events(risk_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity == "risk", AuditEvent.entity_id == risk_id)
            .order_by(AuditEvent.id)
        )
    )


def test_the_predicates_weigh_the_role_and_the_risk(users, make_risk, archived):
    open_risk = make_risk()
    for role in ("admin", "risk_manager"):
        user = users[role]
        assert can_edit_risk(user) and can_edit_risk(user, open_risk) and not can_edit_risk(user, archived)
        assert can_manage_controls(user, open_risk) and not can_manage_controls(user, archived)
    for role in ("executive", "department_head"):
        assert not can_edit_risk(users[role], open_risk) and not can_manage_controls(users[role], open_risk)


def test_the_service_refuses_to_edit_an_archived_risk(users, archived):
    data = {name: getattr(archived, name) for name in services.EDITABLE_FIELDS} | {"title": "Changed"}
    with pytest.raises(services.RiskRuleError, match="is archived: restore it before editing it"):
        services.update_risk(archived, data, users["risk_manager"], archived.version)
    db.session.rollback()
    assert db.session.get(Risk, archived.id).title == "Duplicate of the north encroachment"
    assert risk_events(archived.id) == ["create", "archive"]


def test_confirming_the_residual_score_of_an_archived_risk_is_a_400(clients, archived):
    assessed = archived.residual_assessed_at
    response = clients["risk_manager"].post(f"/risks/{archived.id}/confirm-residual")
    assert response.status_code == 400
    assert "is archived: restore it before confirming its residual score" in text_of(response)
    db.session.rollback()
    assert db.session.get(Risk, archived.id).residual_assessed_at == assessed
    assert risk_events(archived.id) == ["create", "archive"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/risks/{id}/edit"),
        ("GET", "/risks/{id}/controls/new"),
        ("POST", "/risks/{id}/controls/link"),
        ("POST", "/risks/{id}/confirm-residual"),
    ],
)
def test_the_role_is_refused_with_a_403_before_the_risk_is_looked_at(clients, archived, method, path):
    url = path.format(id=archived.id)
    client = clients["executive"]
    response = client.get(url) if method == "GET" else client.post(url)
    assert response.status_code == 403


def test_the_page_of_an_archived_risk_offers_restore_only(clients, archived):
    page = clients["risk_manager"].get(f"/risks/{archived.id}").get_data(as_text=True)
    assert f"/risks/{archived.id}/restore" in page
    for action in ("/edit", "/archive", "/controls/new", "/controls/link", "/confirm-residual"):
        assert f"/risks/{archived.id}{action}" not in page, action
    executive = clients["executive"].get(f"/risks/{archived.id}").get_data(as_text=True)
    assert "/restore" not in executive and "This risk is archived" in executive
    db.session.rollback()
    assert db.session.get(Risk, archived.id).status is RiskStatus.ARCHIVED
