"""Demo controls for `flask seed demo`: assigned, worked on, closed and verified through the real
services (so their history reads like a real one); idempotent by (title, department)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.controls import services
from riskreg.controls.models import Control, ControlStatus, Effectiveness
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk
from riskreg.seeding.reference import risk_templates
from riskreg.sites.models import Site


def load_controls(data: dict[str, Any], users: dict[str, User], report: Any) -> None:
    manager = users.get("risk@example.com")
    departments = dict(db.session.execute(sa.select(Department.name, Department.id)).all())
    existing = {
        (title, department_id): control_id
        for control_id, title, department_id in db.session.execute(
            sa.select(Control.id, Control.title, Control.department_id)
        )
    }
    for item in data.get("controls", []):
        department_id = departments[item["department"]]
        risks = [_risk(link) for link in item["risks"]]
        key = (item["title"], department_id)
        if key in existing:
            control = db.session.get(Control, existing[key])
            for risk in risks:
                if not services.is_linked(control, risk):
                    services.link_control(control, risk, manager)
                    report.add("control links")
            continue
        control = services.create_control(
            {
                "title": item["title"],
                "description": item.get("description", ""),
                "department_id": department_id,
                "owner_id": None,  # the department's head
                "due_date": today() + timedelta(days=item["due_in_days"]),
            },
            manager,
            risks=risks,
        )
        existing[key] = control.id
        _progress(control, item, manager)
        report.add("controls")


def _risk(link: dict[str, str]) -> Risk:
    title = risk_templates()[link["template"]]["title"]
    site_id = db.session.scalar(sa.select(Site.id).where(Site.name == link["site"])) if link["site"] else None
    at_site = Risk.site_id.is_(None) if site_id is None else Risk.site_id == site_id
    risk = db.session.scalar(sa.select(Risk).where(Risk.title == title, at_site))
    if risk is None:
        raise ValueError(f"demo.toml: no demo risk {link['template']} at {link['site'] or 'corporate'}")
    return risk


def _progress(control: Control, item: dict[str, Any], manager: User | None) -> None:
    """Walk the control to its demo status the way its department and the risk manager would."""
    status = ControlStatus(item.get("status", "planned"))
    head = db.session.get(User, control.owner_id) if control.owner_id else manager
    if status is ControlStatus.IN_PROGRESS:
        services.start_control(control, head, control.version)
        if item.get("note"):
            services.add_progress_note(control, item["note"], head)
    elif status in (ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED):
        services.start_control(control, head, control.version)
        services.close_control(control, item["closing_note"], [], head, control.version)
        if status is ControlStatus.VERIFIED:
            rating = Effectiveness(item.get("effectiveness", "effective"))
            services.verify_control(control, rating, "Checked on site.", manager, control.version)
    elif status is ControlStatus.CANCELLED:
        services.cancel_control(control, item.get("reason", "No longer needed."), manager, control.version)
