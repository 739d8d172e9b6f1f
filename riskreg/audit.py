"""The audit trail: who changed what, when, field by field; written in the change's own transaction."""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg import reads
from riskreg.extensions import db
from riskreg.modeling import utcnow

logger = logging.getLogger(__name__)


class AuditEvent(db.Model):
    """Append-only: no route edits or deletes it."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # How the change came in when not through the pages: "api (token 'ERP sync')".
    via: Mapped[str | None] = mapped_column(sa.String(120))

    actor = relationship("User", lazy="raise")

    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity", "entity_id", "at"),
        sa.Index("ix_audit_events_at", "at"),
    )


_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value."""
    if type(value) in _AS_IS:  # most values: one set lookup (a bulk import calls this 500,000 times)
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def current_via() -> str | None:
    """The channel of the current request's changes: set by the API for a token's requests."""
    return g.get("audit_via") if has_app_context() else None


def record(
    entity: str,
    entity_id: int,
    action: str,
    actor: Any,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits once, with the change)."""
    event = AuditEvent(
        entity=entity,
        entity_id=entity_id,
        action=action,
        actor_id=getattr(actor, "id", None),
        changes=changes or {},
        note=note,
        via=current_via(),
    )
    db.session.add(event)
    from riskreg.webhooks.delivery import on_audit  # webhook events queue in the same transaction

    on_audit(entity, entity_id, action, actor, event.changes)
    logger.debug("audit %s %s#%s by %s", action, entity, entity_id, getattr(actor, "id", None))
    return event


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of an entity's history as its page and the API show it, read as plain rows: a page
    shows up to 200, and each as a model object with its actor (and the actor's department) cost
    more than the rest of a risk page's reads together."""

    id: int
    at: datetime
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]
    note: str
    via: str | None
    actor: Actor | None  # None: the system (an import, a job)


def history(entity: str, entity_id: int, limit: int = 200) -> list[Entry]:
    """Newest first, each with its actor's name, in one query."""
    params = {"entity": entity, "entity_id": entity_id, "limit": limit}
    return [
        Entry(*event, Actor(actor_id, name) if actor_id is not None else None)
        for *event, actor_id, name in reads.rows(_history(), params)
    ]


@functools.cache
def _history() -> sa.Select:
    """Built once: every page with a History runs it (its cache key is not derived anew each time)."""
    from riskreg.auth.models import User

    e = AuditEvent
    return (
        sa.select(e.id, e.at, e.entity, e.entity_id, e.action, e.changes, e.note, e.via, User.id, User.name)
        .outerjoin(User, User.id == e.actor_id)
        .where(e.entity == sa.bindparam("entity"), e.entity_id == sa.bindparam("entity_id"))
        .order_by(e.at.desc(), e.id.desc())
        .limit(sa.bindparam("limit"))
    )
