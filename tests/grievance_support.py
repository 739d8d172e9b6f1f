"""Helpers for the grievance tests: a grievance and a stakeholder made through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.modeling import today
from tests.conftest import department_id


def new_stakeholder(site: Any, name: str = "Tarkwa Small-Scale Miners Cooperative", **over: Any) -> Any:
    from riskreg.stakeholders.models import Stakeholder, StakeholderType

    stakeholder = Stakeholder(
        site_id=site.id,
        name=name,
        type=over.pop("type", StakeholderType.COOPERATIVE),
        influence=over.pop("influence", 4),
        interest=over.pop("interest", 5),
        **over,
    )
    db.session.add(stakeholder)
    db.session.commit()
    return stakeholder


def grievance_data(site: Any, department: str | None = "Security", **over: Any) -> dict[str, Any]:
    data = {
        "site_id": site.id,
        "received_on": today() - timedelta(days=3),
        "channel": "in_person",
        "category": "land",
        "description": "Pits of the cooperative were filled in without notice.",
        "severity": 3,
        "human_rights_impact": False,
        "owner_department_id": department_id(department) if department else None,
    }
    data.update(over)
    return data


def new_grievance(
    site: Any,
    actor: Any,
    department: str | None = "Security",
    complainant: dict[str, Any] | None = None,
    **over: Any,
) -> Any:
    grievance = services.create_grievance(grievance_data(site, department, **over), actor, complainant)
    db.session.commit()
    return grievance
