"""The demo data's controls: five and more departments, every status, overdue work waiting for the
Security head; loading twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.controls.models import Control, ControlStatus, risk_controls
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today
from tests.conftest import text_of


def counts() -> tuple[int, int, int]:
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count(Control.id))),
        db.session.scalar(sa.select(sa.func.count()).select_from(risk_controls)),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )


def test_demo_controls_span_departments_and_statuses(runner):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    controls = list(db.session.scalars(sa.select(Control).options(sa.orm.selectinload(Control.department))))
    assert len({c.department.name for c in controls}) >= 5
    assert {c.status for c in controls} >= {
        ControlStatus.PLANNED, ControlStatus.IN_PROGRESS, ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED
    }  # fmt: skip
    security = [c for c in controls if c.department.name == "Security"]
    assert any(c.is_overdue(today()) for c in security) and sum(c.is_open for c in security) >= 3
    assert all(c.owner_id is not None for c in security)  # owned by the Security head

    again = counts()
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "Nothing to do" in second.output
    assert counts() == again


def test_the_security_head_signs_in_to_overdue_work(runner, client):
    runner.invoke(args=["seed", "demo"])
    response = client.post(
        "/login", data={"email": "security.head@example.com", "password": "riskreg-demo-2026"}
    )
    page = client.get("/controls/mine")
    assert page.status_code == 200
    text = text_of(page)
    assert "Security: open controls" in text and "days overdue" in text
    assert "Boundary demarcation and signage" in text
    assert response.status_code == 302
    db.session.rollback()
    security = db.session.scalar(sa.select(Department.id).where(Department.name == "Security"))
    assert (
        db.session.scalar(sa.select(sa.func.count(Control.id)).where(Control.department_id == security)) >= 5
    )
