"""Helpers for acceptance tests: an Extreme risk, a request, the accepted state of a risk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from riskreg.acceptances import services
from riskreg.acceptances.models import Acceptance
from riskreg.extensions import db
from riskreg.modeling import today

EXTREME = {"inherent_likelihood": 5, "inherent_impact": 5, "residual_likelihood": 4, "residual_impact": 4}
MEDIUM = {"inherent_likelihood": 4, "inherent_impact": 4, "residual_likelihood": 2, "residual_impact": 3}
JUSTIFICATION = "No further treatment is practicable before the mine plan changes next year."


def request(risk: Any, requester: Any, approver: Any, days: int = 90, **over: Any) -> Acceptance:
    data = {
        "justification": JUSTIFICATION,
        "expires_on": today() + timedelta(days=days),
        "approver_id": approver.id,
    }
    acceptance = services.request_acceptance(risk, {**data, **over}, requester)
    db.session.commit()
    return acceptance


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Acceptance.id)))
