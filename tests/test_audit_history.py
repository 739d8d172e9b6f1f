"""audit.history: an entity's events newest first, each with its actor's name (None for the
system), read as plain rows in one statement: no model object enters the session."""

from __future__ import annotations

from riskreg import audit
from riskreg.audit import AuditEvent
from riskreg.auth.models import User
from riskreg.extensions import db
from tests.conftest import statements


def test_history_is_newest_first_with_each_actors_name_and_no_model_objects(make_risk, users):
    risk = make_risk()
    audit.record("risk", risk.id, "update", users["admin"], {"title": ["Old", "New"]}, note="Renamed")
    audit.record("risk", risk.id, "import", None, {}, note="")
    db.session.commit()
    risk_id, admin = risk.id, (users["admin"].id, users["admin"].name)
    db.session.expunge_all()
    with statements(sql_only=True) as seen:
        trail = audit.history("risk", risk_id)
    assert len(seen) == 1 and "departments" not in seen[0]
    assert [event.action for event in trail] == ["import", "update", "create"]
    assert trail[0].actor is None
    assert (trail[1].actor.id, trail[1].actor.name) == admin
    assert trail[1].changes == {"title": ["Old", "New"]} and trail[1].note == "Renamed"
    assert trail[1].entity == "risk" and trail[1].entity_id == risk_id
    assert not [o for o in db.session.identity_map.values() if isinstance(o, (AuditEvent, User))]
    assert [event.action for event in audit.history("risk", risk_id, limit=1)] == ["import"]


def test_a_pending_event_is_in_the_history_read_in_its_transaction(make_risk, users):
    risk = make_risk()
    audit.record("risk", risk.id, "review", users["risk_manager"], {}, note="Checked")
    assert audit.history("risk", risk.id)[0].note == "Checked"  # flushed, not yet committed
    db.session.rollback()
    assert audit.history("risk", risk.id)[0].action == "create"
