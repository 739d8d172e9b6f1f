"""Every state change is in its audit event's changes, old and new: confirming a residual score, a
control's closure, verification and reopening (note, who and when), progress notes, cancellations."""

from __future__ import annotations

from datetime import datetime

import pytest

from riskreg import audit
from riskreg.controls import services
from riskreg.controls.models import Effectiveness
from riskreg.extensions import db
from riskreg.risks import services as risk_services
from tests.controls_support import events, fresh, new_control

LONG_AGO = datetime(2026, 1, 5, 9, 30)


@pytest.fixture
def head(make_user):
    return make_user("department_head", department="Security", name="Sam Security")


def test_confirming_the_residual_records_when_and_what_was_confirmed(make_risk, users):
    risk = make_risk(residual_likelihood=3, residual_impact=2)
    risk.residual_assessed_at = LONG_AGO
    db.session.commit()
    risk_services.confirm_residual(risk, users["admin"])
    db.session.commit()
    [*_, event] = events("risk", risk.id)
    assert event.action == "reassess"
    assert event.changes == {
        "residual_assessed_at": [LONG_AGO.isoformat(), audit.plain(risk.residual_assessed_at)],
        "residual_likelihood": [3, 3],
        "residual_impact": [2, 2],
        "residual_score": [6, 6],
    }


def test_an_edit_that_only_confirms_the_residual_is_recorded(make_risk, users):
    """The risk form's "residual reviewed" box with no other change moved residual_assessed_at
    without any audit event."""
    risk = make_risk()
    risk.residual_assessed_at = LONG_AGO
    db.session.commit()
    data = {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS} | {"confirm_residual": True}
    changes = risk_services.update_risk(risk, data, users["admin"], risk.version)
    db.session.commit()
    assert changes == {"residual_assessed_at": [LONG_AGO.isoformat(), audit.plain(risk.residual_assessed_at)]}
    assert events("risk", risk.id)[-1].changes == changes


def test_close_verify_and_reopen_record_the_closure_old_and_new(users, head):
    manager = users["risk_manager"]
    control = new_control(manager)
    services.close_control(control, "Guards trained, register signed.", [], head, control.version)
    db.session.commit()
    closed = fresh(control.id)
    closed_at = audit.plain(closed.closed_at)
    close = events("control", control.id)[-1]
    assert close.action == "close"
    assert close.changes["closing_note"] == ["", "Guards trained, register signed."]
    assert close.changes["closed_by"] == [None, "Sam Security"]
    assert close.changes["closed_at"] == [None, closed_at]

    services.verify_control(closed, Effectiveness.EFFECTIVE, "Checked on site.", manager, closed.version)
    db.session.commit()
    verified = fresh(control.id)
    verified_at = audit.plain(verified.verified_at)
    verify = events("control", control.id)[-1]
    assert verify.changes["verified_by"] == [None, manager.name]
    assert verify.changes["verified_at"] == [None, verified_at]
    assert verify.changes["effectiveness"] == ["not_assessed", "effective"]
    assert verify.changes["note"] == [None, "Checked on site."]

    services.reopen_control(verified, "The guards left.", manager, verified.version)
    db.session.commit()
    reopen = events("control", control.id)[-1]
    assert reopen.changes["closing_note"] == ["Guards trained, register signed.", ""]
    assert reopen.changes["closed_by"] == ["Sam Security", None]
    assert reopen.changes["closed_at"] == [closed_at, None]
    assert reopen.changes["verified_by"] == [manager.name, None]
    assert reopen.changes["verified_at"] == [verified_at, None]
    assert reopen.changes["note"] == [None, "The guards left."]


def test_a_progress_note_and_a_cancellation_record_their_text(users, head):
    control = new_control(users["risk_manager"])
    services.add_progress_note(control, "  Met the cooperative on Tuesday.  ", head)
    db.session.commit()
    assert events("control", control.id)[-1].changes == {"note": [None, "Met the cooperative on Tuesday."]}
    control = fresh(control.id)
    services.cancel_control(control, "Replaced by C-0009.", users["risk_manager"], control.version)
    db.session.commit()
    cancel = events("control", control.id)[-1]
    assert cancel.changes["status"] == ["planned", "cancelled"]
    assert cancel.changes["note"] == [None, "Cancelled: Replaced by C-0009."]
