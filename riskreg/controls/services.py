"""Changes to controls: create, edit, link to risks, start, note, close with evidence, verify, reopen,
cancel. Each is audited on the control's trail (and on its risks' trails where it matters to them).

Services flush and never commit: the view commits once, so the change, its evidence rows and its
audit events land together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.controls import notices
from riskreg.controls.evidence import StoredFile
from riskreg.controls.models import (
    DONE_CONTROL_STATUSES,
    OPEN_CONTROL_STATUSES,
    Control,
    ControlEvidence,
    ControlNote,
    ControlStatus,
    Effectiveness,
    NoteKind,
    risk_controls,
)
from riskreg.controls.rules import (  # noqa: F401  (re-exported: callers use services.ControlConflict)
    ControlConflict,
    ControlRuleError,
    assign,
    audit_view,
    check_version,
    default_owner,
    linked_risks,
    record_on_risks,
    require_status,
    residual_review_due,
)
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks.models import Risk, format_ref

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("title", "description", "department_id", "owner_id", "due_date", "formalisation_support")


def _note(control: Control, kind: NoteKind, body: str, actor: Any) -> ControlNote:
    note = ControlNote(control=control, kind=kind, body=body, author_id=getattr(actor, "id", None))
    db.session.add(note)
    return note


def create_control(data: dict[str, Any], actor: Any, risks: Iterable[Risk] = ()) -> Control:
    values = {name: data.get(name) for name in EDITABLE_FIELDS}
    values["title"] = (values["title"] or "").strip()
    values["description"] = values["description"] or ""
    values["formalisation_support"] = bool(values["formalisation_support"])
    assign(values)
    control = Control(**values, created_by_id=getattr(actor, "id", None), status=ControlStatus.PLANNED)
    db.session.add(control)
    db.session.flush()
    control.ref = format_ref("C", control.id)
    db.session.flush()
    changes = {k: [None, v] for k, v in audit_view(control).items() if v not in (None, "", False)}
    audit.record("control", control.id, "create", actor, changes)
    for risk in risks:
        link_control(control, risk, actor)
    notices.assigned(control, actor)
    logger.info("control %s created by %s", control.ref, getattr(actor, "id", None))
    return control


def update_control(
    control: Control, data: dict[str, Any], actor: Any, expected_version: int
) -> dict[str, list[Any]]:
    check_version(control, expected_version)
    values = {name: data.get(name) for name in EDITABLE_FIELDS}
    values["description"] = values["description"] or ""
    values["formalisation_support"] = bool(values["formalisation_support"])
    assign(values)
    before = audit_view(control)
    for name, value in values.items():
        setattr(control, name, value)
    changes = audit.diff(before, audit_view(control))
    if changes:
        db.session.flush()
        audit.record("control", control.id, "update", actor, changes)
        if {"department", "owner"} & changes.keys():
            notices.assigned(control, actor)
    return changes


def is_linked(control: Control, risk: Risk) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(risk_controls)
            .where(risk_controls.c.control_id == control.id, risk_controls.c.risk_id == risk.id)
        )
        > 0
    )


def _links_changed(control: Control, risk: Risk) -> None:
    """The link table was written directly: collections loaded before are stale now."""
    db.session.expire(control, ["risks"])
    db.session.expire(risk, ["controls"])


def link_control(control: Control, risk: Risk, actor: Any) -> None:
    if is_linked(control, risk):
        raise ControlRuleError(
            "control_ref", _l("%(control)s already mitigates %(risk)s.", control=control.ref, risk=risk.ref)
        )
    db.session.execute(sa.insert(risk_controls).values(risk_id=risk.id, control_id=control.id))
    _links_changed(control, risk)
    audit.record("control", control.id, "link", actor, {"risks": [None, risk.ref]}, risk.title)
    audit.record("risk", risk.id, "link_control", actor, {"controls": [None, control.ref]}, control.title)


def unlink_control(control: Control, risk: Risk, actor: Any) -> None:
    if not is_linked(control, risk):
        raise ControlRuleError(
            "control_ref", _l("%(control)s does not mitigate %(risk)s.", control=control.ref, risk=risk.ref)
        )
    db.session.execute(
        sa.delete(risk_controls).where(
            risk_controls.c.control_id == control.id, risk_controls.c.risk_id == risk.id
        )
    )
    _links_changed(control, risk)
    audit.record("control", control.id, "unlink", actor, {"risks": [risk.ref, None]}, risk.title)
    audit.record("risk", risk.id, "unlink_control", actor, {"controls": [control.ref, None]}, control.title)


def _set_status(control: Control, status: ControlStatus, **fields: Any) -> dict[str, list[Any]]:
    before = audit_view(control)
    control.status = status
    for name, value in fields.items():
        setattr(control, name, value)
    db.session.flush()  # the version check happens here: a concurrent change raises StaleDataError
    return audit.diff(before, audit_view(control))


def start_control(control: Control, actor: Any, expected_version: int) -> None:
    check_version(control, expected_version)
    require_status(control, [ControlStatus.PLANNED], "started")
    changes = _set_status(control, ControlStatus.IN_PROGRESS)
    audit.record("control", control.id, "start", actor, changes)


def add_progress_note(control: Control, body: str, actor: Any) -> ControlNote:
    """A note does not change the control itself, so it never conflicts with someone closing it."""
    body = (body or "").strip()
    if not body:
        raise ControlRuleError("body", _l("Write the progress note."))
    note = _note(control, NoteKind.PROGRESS, body, actor)
    db.session.flush()
    audit.record("control", control.id, "note", actor, {"note": [None, body]}, body)
    return note


def store_evidence_rows(
    control: Control, files: Iterable[StoredFile], actor: Any, verification_id: int | None = None
) -> list[str]:
    """A row per stored file (closing evidence, or a verification's); the names for the audit."""
    names = []
    for item in files:
        db.session.add(
            ControlEvidence(
                control_id=control.id,
                verification_id=verification_id,
                stored_name=item.stored_name,
                original_name=item.original_name,
                content_type=item.content_type,
                size_bytes=item.size_bytes,
                sha256=item.sha256,
                uploaded_by_id=getattr(actor, "id", None),
            )
        )
        names.append(f"{item.original_name} (sha256 {item.sha256[:12]}…)")
    return names


def add_evidence(control: Control, files: list[StoredFile], actor: Any) -> None:
    if not files:
        raise ControlRuleError("evidence", _l("Choose at least one file."))
    names = store_evidence_rows(control, files, actor)
    db.session.flush()
    audit.record("control", control.id, "add_evidence", actor, {"evidence": [None, ", ".join(names)]})


def close_control(
    control: Control, note: str, files: list[StoredFile], actor: Any, expected_version: int
) -> None:
    """Implemented, with a required closing note and optional evidence, in one transaction."""
    check_version(control, expected_version)
    require_status(control, OPEN_CONTROL_STATUSES, "closed")
    note = (note or "").strip()
    if not note:
        raise ControlRuleError(
            "closing_note", _l("Write a closing note: what was done, and where the proof is.")
        )
    changes = _set_status(
        control,
        ControlStatus.IMPLEMENTED,
        closing_note=note,
        closed_at=utcnow(),
        closed_by_id=getattr(actor, "id", None),
    )
    _note(control, NoteKind.CLOSING, note, actor)
    names = store_evidence_rows(control, files, actor)
    if names:
        changes["evidence"] = [None, ", ".join(names)]
    db.session.flush()
    audit.record("control", control.id, "close", actor, changes, note)
    record_on_risks(
        control, "control_implemented", {control.ref: [changes["status"][0], "implemented"]}, actor, note
    )
    notices.implemented(control, actor, note)


def verify_control(
    control: Control, effectiveness: Effectiveness, note: str, actor: Any, expected_version: int
) -> None:
    check_version(control, expected_version)
    require_status(control, [ControlStatus.IMPLEMENTED], "verified")
    if effectiveness not in (
        Effectiveness.INEFFECTIVE,
        Effectiveness.PARTIALLY_EFFECTIVE,
        Effectiveness.EFFECTIVE,
    ):
        raise ControlRuleError("effectiveness", _l("Rate how effective the control is."))
    note = (note or "").strip()
    changes = _set_status(
        control,
        ControlStatus.VERIFIED,
        effectiveness=effectiveness,
        verified_at=utcnow(),
        verified_by_id=getattr(actor, "id", None),
    )
    # Stored: in English whatever the reader's language (the label may be translated).
    body = note or f"Verified: {effectiveness.value.replace('_', ' ')}."
    _note(control, NoteKind.VERIFICATION, body, actor)
    changes["note"] = [None, body]
    db.session.flush()
    audit.record("control", control.id, "verify", actor, changes, note)
    record_on_risks(
        control,
        "control_verified",
        {control.ref: ["implemented", f"verified ({effectiveness.value})"]},
        actor,
        note,
    )
    notices.verified(control, actor, note)


def reopen_control(control: Control, reason: str, actor: Any, expected_version: int) -> None:
    """Back to in progress: the closure (or cancellation) no longer stands; the reason is required."""
    check_version(control, expected_version)
    require_status(control, [*DONE_CONTROL_STATUSES, ControlStatus.CANCELLED], "reopened")
    reason = (reason or "").strip()
    if not reason:
        raise ControlRuleError("reason", _l("Say why the control is reopened."))
    old = control.status.value
    changes = _set_status(
        control,
        ControlStatus.IN_PROGRESS,
        effectiveness=Effectiveness.NOT_ASSESSED,
        closing_note="",
        closed_at=None,
        closed_by_id=None,
        verified_at=None,
        verified_by_id=None,
    )
    _note(control, NoteKind.REOPENED, reason, actor)
    changes["note"] = [None, reason]
    db.session.flush()
    audit.record("control", control.id, "reopen", actor, changes, reason)
    record_on_risks(control, "control_reopened", {control.ref: [old, "in_progress"]}, actor, reason)
    notices.reopened(control, actor, reason)


def cancel_control(control: Control, reason: str, actor: Any, expected_version: int) -> None:
    check_version(control, expected_version)
    require_status(control, OPEN_CONTROL_STATUSES, "cancelled")
    reason = (reason or "").strip()
    if not reason:
        raise ControlRuleError("reason", _l("Say why the control is cancelled."))
    old = control.status.value
    changes = _set_status(control, ControlStatus.CANCELLED)
    body = f"Cancelled: {reason}"
    _note(control, NoteKind.PROGRESS, body, actor)
    changes["note"] = [None, body]
    db.session.flush()
    audit.record("control", control.id, "cancel", actor, changes, reason)
    record_on_risks(control, "control_cancelled", {control.ref: [old, "cancelled"]}, actor, reason)
