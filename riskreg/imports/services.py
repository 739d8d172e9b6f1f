"""Apply an import plan through the risk services' bulk path: their rules and audit events, a few
statements per batch of rows, in the caller's transaction.

Flushes, never commits: the view commits once, so every row lands or none does.
"""

from __future__ import annotations

from typing import Any

from riskreg.extensions import db
from riskreg.imports.plan import Lookups, Plan
from riskreg.risks import bulk


def apply_plan(plan: Plan, actor: Any, note: str, lookups: Lookups) -> tuple[int, int]:
    """Create and update the planned risks; raises what the services raise (the view rolls back)."""
    if not plan.ok:
        raise ValueError("a plan with problems cannot be applied")
    names = bulk.Names(sites=lookups.site_names, owners=lookups.user_names)
    edits = [bulk.Edit(change.risk, change.version, change.values) for change in plan.changes]
    updated = bulk.update_risks(edits, actor, names, note)  # first: its row locks are the contended part
    created = bulk.create_risks([create.values for create in plan.creates], actor, names, note)
    db.session.flush()
    return len(created), updated
