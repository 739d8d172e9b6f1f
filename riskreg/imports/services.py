"""Apply an import plan through the risk services: their rules and audit events, the caller's transaction.

Flushes, never commits: the view commits once, so every row lands or none does.
"""

from __future__ import annotations

from typing import Any

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.imports.plan import Plan
from riskreg.risks import services


def apply_plan(plan: Plan, actor: Any, note: str) -> tuple[int, int]:
    """Create and update the planned risks; raises what the services raise (the view rolls back)."""
    if not plan.ok:
        raise ValueError("a plan with problems cannot be applied")
    for create in plan.creates:
        services.create_risk(create.values, actor)
        _annotate(note)
    for change in plan.changes:
        services.update_risk(change.risk, change.values, actor, expected_version=change.version)
        _annotate(note)
    db.session.flush()
    return len(plan.creates), len(plan.changes)


def _annotate(note: str) -> None:
    """Say on the audit event (shown in the History tab) which file the change came from.

    The services flush the risk before recording, so the event is the only pending object here:
    looking at session.new stays O(1) per row.
    """
    for pending in db.session.new:
        if isinstance(pending, AuditEvent) and not pending.note:
            pending.note = note
