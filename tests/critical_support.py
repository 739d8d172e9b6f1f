"""Helpers for the critical-control tests: a critical control with a standard and a schedule,
made through the real services."""

from __future__ import annotations

from datetime import date
from typing import Any

from riskreg.controls.models import Control
from riskreg.critical import services
from riskreg.critical.models import Answer, Frequency
from riskreg.extensions import db
from tests.conftest import department_id

CHECKS = [
    services.CheckInput(
        "Are all guards trained in the Voluntary Principles?", "Yes, records for each", "Untrained guards"
    ),
    services.CheckInput("Was the refresher held this quarter?", "Yes", "Training lapsed"),
]


def make_critical(
    control: Control,
    actor: Any,
    verifier: str = "Security",
    starts_on: date | None = None,
    frequency: Frequency = Frequency.MONTHLY,
) -> Control:
    services.mark_critical(
        control, "Force used by untrained guards harms people", "Every guard is trained", CHECKS, actor
    )
    services.set_schedule(control, frequency, department_id(verifier), [], starts_on, actor)
    db.session.commit()
    return control


def answers(control: Control, *results: Answer | str) -> list[services.AnswerInput]:
    """Answers for the control's checks in order: pass for each not given."""
    checks = services.active_checks(services.standard_of(control))
    return [
        services.AnswerInput(check.id, results[i] if i < len(results) else Answer.PASS)
        for i, check in enumerate(checks)
    ]
