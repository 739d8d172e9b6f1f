"""Many risks created or changed at once (the import), with create_risk's and update_risk's rules,
derived values and audit events, in a few statements per batch instead of several per risk.

Each row goes through services.prepare_values, so every rule and derivation of a single save holds
here too. What the ORM does for one risk is done explicitly: the stored scores, the ref after the
insert, the version (bumped, and checked in the UPDATE's WHERE), the audit events (one executemany).
Rows are locked and written in id order, so two imports over the same risks wait for each other
instead of deadlocking. Flushes, never commits.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from riskreg import audit
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks import services
from riskreg.risks.models import Risk, Treatment, format_ref, ref_expression, stored_scores
from riskreg.standards.links import replace_links

BATCH = 2_000  # rows per statement batch: bounded memory and IN lists, few round trips
RISKS = Risk.__table__  # Core statements: the ORM's bulk layer costs more than the database here
EVENTS = audit.AuditEvent.__table__
STORED = (*services.EDITABLE_FIELDS, "residual_assessed_at")  # what prepare_values returns
LEVELS = {"inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact"}


@dataclass(frozen=True)
class Names:
    """Site and owner names by id, for the audit events (as services.audit_values shows them)."""

    sites: Mapping[int, str]
    owners: Mapping[int, str]


@dataclass(frozen=True)
class Edit:
    """A change to one risk: its new data, and the version the person saw it at."""

    risk: Risk
    expected_version: int
    data: Mapping[str, Any]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building tens of thousands of small dicts would set off full garbage collections over every
    object alive (the plan's risks included), a third of the apply's time; none of it is garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _record_all(events: list[dict[str, Any]], action: str, actor_id: int | None, note: str, at: Any) -> None:
    """One audit event per risk ({entity_id, changes}), one INSERT per batch; what they share is
    given once."""
    insert = sa.insert(EVENTS).values(entity="risk", action=action, actor_id=actor_id, note=note, at=at)
    for batch in _batches(events):
        db.session.execute(insert, list(batch))


@_collector_paused()
def create_risks(rows: Sequence[Mapping[str, Any]], actor: Any, names: Names, note: str = "") -> list[int]:
    """Insert the risks; returns their ids in the order of `rows`."""
    prepared = [_defaults(services.prepare_values(data)) for data in rows]
    for data in rows:
        services.check_requirements(data)
    actor_id, now = getattr(actor, "id", None), utcnow()
    # Each row carries a unique placeholder ref until its id is known: RETURNING id, ref then says
    # which id each row got, whatever order the database returns them in (SQLite's ordered
    # RETURNING would insert one row per statement).
    stamp = secrets.token_hex(3)
    params = [
        {
            **values,
            **stored_scores(values),
            "ref": f"~{stamp}{index:x}",
            "template_code": data.get("template_code"),
        }
        for index, (data, values) in enumerate(zip(rows, prepared, strict=True))
    ]
    id_of: dict[str, int] = {}
    insert = (
        sa.insert(RISKS)
        .values(created_by_id=actor_id, created_at=now, updated_at=now)  # the same for every row
        .returning(RISKS.c.id, RISKS.c.ref)
    )
    for batch in _batches(params):
        id_of.update((ref, rid) for rid, ref in db.session.execute(insert, list(batch)))
    ids = [id_of[row["ref"]] for row in params]
    # The ref once the id is known, and the version moved on as create_risk's second flush does.
    for batch in _batches(ids):
        db.session.execute(
            sa.update(RISKS)
            .where(RISKS.c.id.in_(list(batch)))
            .values(ref=ref_expression("R", RISKS.c.id), version=RISKS.c.version + 1)
        )
    events = []
    for rid, data, values in zip(ids, rows, prepared, strict=True):
        shown = services.audit_values({**values, "ref": format_ref("R", rid)}, names.sites, names.owners)
        changes = {name: [None, value] for name, value in shown.items() if value is not None}
        if data.get("requirements") is not None:
            linked = replace_links("risk", rid, list(data["requirements"]))
            if linked:
                changes["requirements"] = [None, linked[1]]
        events.append({"entity_id": rid, "changes": changes})
    _record_all(events, "create", actor_id, note, now)
    from riskreg.bowtie.services import mirror_first  # the first cause and consequence of each bowtie

    mirror_first(
        {
            rid: {"cause": values.get("cause") or "", "consequence": values.get("consequence") or ""}
            for rid, values in zip(ids, prepared, strict=True)
        },
        new=True,
    )
    return ids


def _defaults(values: dict[str, Any]) -> dict[str, Any]:
    """A field left empty takes the column's default, as in the ORM's INSERT (a Core executemany
    would store NULL)."""
    for name, value in values.items():
        default = RISKS.c[name].default
        if value is None and default is not None:
            values[name] = default.arg if default.is_scalar else default.arg(None)
    return values


@_collector_paused()
def update_risks(edits: Sequence[Edit], actor: Any, names: Names, note: str = "") -> int:
    """Apply the edits, all or none: raises services.RiskConflict naming a risk that moved on since
    its expected version (or is gone). Returns how many risks changed."""
    edits = sorted(edits, key=lambda edit: edit.risk.id)
    _lock_and_check(edits)
    actor_id, now = getattr(actor, "id", None), utcnow()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    events = []
    rose: dict[int, int] = {}  # risk id -> its new, higher residual score
    left_accept: set[int] = set()  # risks whose treatment moves away from Accept
    for edit in edits:
        risk = edit.risk
        current = {name: getattr(risk, name) for name in STORED}
        values = services.prepare_values(edit.data, current)
        services.check_requirements(edit.data)
        changed = {name: value for name, value in values.items() if value != current[name]}
        shown = [services.audit_values(v, names.sites, names.owners, changed) for v in (current, values)]
        changes = audit.diff(*shown)
        if edit.data.get("requirements") is not None:
            linked = replace_links("risk", risk.id, list(edit.data["requirements"]))
            if linked:
                changes["requirements"] = linked
        if not changed and "requirements" not in changes:
            continue
        if "treatment" in changed and current["treatment"] is Treatment.ACCEPT:
            left_accept.add(risk.id)
        if changed.keys() & LEVELS:
            changed |= {
                name: score for name, score in stored_scores(values).items() if score != getattr(risk, name)
            }
            if changed.get("residual_score", 0) > risk.residual_score:
                rose[risk.id] = changed["residual_score"]
        # Only the changed columns are written (fewer index updates); rows that change the same
        # columns share one statement.
        row = changed | {"updated_at": now, "rid": risk.id, "seen": edit.expected_version}
        groups.setdefault(tuple(sorted(row)), []).append(row)
        events.append({"entity_id": risk.id, "changes": changes})
    for rows in groups.values():
        _update_all(rows)
    _record_all(events, "update", actor_id, note, now)
    texts = {
        row["rid"]: {k: row[k] for k in ("cause", "consequence") if k in row}
        for rows in groups.values()
        for row in rows
    }
    if any(texts.values()):
        from riskreg.bowtie.services import mirror_first

        mirror_first({rid: values for rid, values in texts.items() if values})
    from riskreg.acceptances.services import void_on_increase

    db.session.expire_all()  # the rows changed under the ORM: read them again when next used
    void_on_increase(rose, actor, left_accept)  # after the risks' own events, on the risks as saved
    return len(events)


def _lock_and_check(edits: Sequence[Edit]) -> None:
    """Lock the rows in id order and check that each is still at the version the person saw.

    PostgreSQL: two imports lock the same rows in the same order, so one waits for the other (then
    sees the versions moved on) instead of deadlocking. SQLite ignores FOR UPDATE: a request that
    writes holds the write lock already, and the UPDATE's WHERE checks the version again anyway."""
    for batch in _batches(edits):
        by_id = {edit.risk.id: edit for edit in batch}
        found = dict(
            db.session.execute(
                sa.select(RISKS.c.id, RISKS.c.version)
                .where(RISKS.c.id.in_(list(by_id)))
                .order_by(RISKS.c.id)
                .with_for_update()
            ).all()
        )
        for rid, edit in by_id.items():
            if found.get(rid) != edit.expected_version:
                raise services.RiskConflict(edit.risk)


def _update_all(params: list[dict[str, Any]]) -> None:
    """One UPDATE per batch; the SET columns are the keys of the rows, the version moves on by one."""
    update = (
        sa.update(RISKS)
        .where(RISKS.c.id == sa.bindparam("rid"), RISKS.c.version == sa.bindparam("seen"))
        .values(version=RISKS.c.version + 1)
    )
    for batch in _batches(params):
        result = db.session.execute(update, list(batch))
        if result.rowcount != len(batch):  # a row moved on between the check and the write
            raise StaleDataError(f"{len(batch) - result.rowcount} risk(s) changed while the import ran")
