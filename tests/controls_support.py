"""Helpers for the control tests: make controls and evidence through the real services."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from riskreg.audit import AuditEvent
from riskreg.controls import evidence, services
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk
from tests.conftest import department_id

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20


def new_control(actor: Any, department: str = "Security", risks: Iterable[Risk] = (), **over: Any) -> Control:
    data = {
        "title": over.pop("title", f"Control for {department}"),
        "description": over.pop("description", "Do the thing."),
        "department_id": department_id(department),
        "owner_id": over.pop("owner_id", None),
        "due_date": over.pop("due_date", today() + timedelta(days=30)),
        "formalisation_support": over.pop("formalisation_support", False),
    }
    control = services.create_control(data, actor, risks=list(risks))
    for key, value in over.items():
        setattr(control, key, value)
    db.session.commit()
    return control


def store_evidence(control: Control, actor: Any, name: str = "proof.pdf", data: bytes = PDF) -> None:
    upload = FileStorage(io.BytesIO(data), filename=name)
    kind = evidence.check(upload, 1024 * 1024)
    with evidence.FileBatch() as batch:
        stored = batch.store(upload, kind)
        services.add_evidence(control, [stored], actor)
        db.session.commit()


def fresh(control_id: int) -> Control:
    """The control as requests committed it (the test's own snapshot ended first)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Control, control_id)


def events(entity: str, entity_id: int) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


def actions(entity: str, entity_id: int) -> list[str]:
    return [e.action for e in events(entity, entity_id)]


def legacy(control: Control, **columns: Any) -> Control:
    """Set columns straight in the table, as data saved before a rule existed (no owner, no due date)."""
    db.session.execute(sa.update(Control).where(Control.id == control.id).values(**columns))
    db.session.commit()
    return fresh(control.id)
