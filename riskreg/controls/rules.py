"""The rules every control change shares: errors, who owns the work and by when, the version check,
allowed statuses, the readable audit view, and the residual-review rule a risk's page shows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.auth.models import Role, User
from riskreg.controls.models import DONE_CONTROL_STATUSES, Control, ControlStatus, risk_controls
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks.models import Risk


class ControlConflict(Exception):
    """Someone changed the control after this person loaded it."""

    def __init__(self, control: Control) -> None:
        super().__init__(f"{control.ref} was changed by someone else")
        self.control = control


class ControlRuleError(ValueError):
    """The change breaks a rule; `field` names the form field to show it against. The message is a
    lazy text: it is put in the reader's language where it is shown (str() it there)."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message)
        self.field = field


def audit_view(control: Control) -> dict[str, Any]:
    """The control's fields as people read them (names, not ids) for the history."""
    return {
        "title": control.title,
        "description": control.description,
        "department": _name(Department, control.department_id),
        "owner": _name(User, control.owner_id),
        "due_date": audit.plain(control.due_date),
        "formalisation_support": control.formalisation_support,
        "status": audit.plain(control.status),
        "effectiveness": audit.plain(control.effectiveness),
        # The closure and its verification: who, when and the closing note, set and cleared by
        # close, verify and reopen (empty on a new control, so absent from its create event).
        "closing_note": control.closing_note,
        "closed_by": _name(User, control.closed_by_id),
        "closed_at": audit.plain(control.closed_at),
        "verified_by": _name(User, control.verified_by_id),
        "verified_at": audit.plain(control.verified_at),
    }


def _name(model: type, ident: int | None) -> str | None:
    if ident is None:
        return None
    obj = db.session.get(model, ident)  # from the identity map when already loaded
    return obj.name if obj is not None else None


def default_owner(department_id: int) -> int | None:
    """The department's head: its first active department head."""
    return db.session.scalar(
        sa.select(User.id)
        .where(
            User.department_id == department_id,
            User.role == Role.DEPARTMENT_HEAD,
            User.active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )


def check_assignment(department_id: int | None, owner_id: int | None) -> None:
    department = db.session.get(Department, department_id) if department_id is not None else None
    if department is None or not department.active:
        raise ControlRuleError("department_id", _l("Choose an active department: that one does not exist."))
    if owner_id is None:
        return
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise ControlRuleError("owner_id", _l("That owner does not exist or is no longer active."))
    if owner.department_id is not None and owner.department_id != department_id:
        raise ControlRuleError(
            "owner_id",
            _l(
                "%(owner)s belongs to another department; choose someone in %(department)s "
                "or leave the owner to default to its head.",
                owner=owner.name,
                department=department.name,
            ),
        )


def assign(values: dict[str, Any]) -> None:
    """Someone owns the work and it has a date: the owner chosen or the department's head, and a
    due date. Work that belongs to nobody never becomes overdue and reaches nobody's list."""
    check_assignment(values["department_id"], values["owner_id"])
    if values["owner_id"] is None:
        values["owner_id"] = default_owner(values["department_id"])
    if values["owner_id"] is None:
        name = db.session.get(Department, values["department_id"]).name
        raise ControlRuleError(
            "owner_id",
            _l(
                "%(department)s has no active head: choose who owns this control, "
                "or give the department a head.",
                department=name,
            ),
        )
    if values.get("due_date") is None:
        raise ControlRuleError(
            "due_date",
            _l("Give a due date: a control without one never becomes overdue and nobody is reminded."),
        )


def check_version(control: Control, expected_version: int) -> None:
    """The version is required: without it a change saved in between would be silently overwritten."""
    if expected_version is None:
        raise TypeError("a change to a control needs the version it was based on (expected_version)")
    if expected_version != control.version:
        raise ControlConflict(control)


def require_status(control: Control, allowed: Iterable[ControlStatus], doing: str) -> None:
    """`doing`: "started", "closed", "verified", "reopened" or "cancelled"."""
    if control.status not in tuple(allowed):
        raise ControlRuleError("status", cannot_be(doing, control.ref, control.status.label.lower()))


def cannot_be(doing: str, ref: str | None, status: str) -> Any:
    """One sentence per action (a translation needs the whole sentence, not a verb to fill in)."""
    messages = {
        "started": _l("%(ref)s is %(status)s: it cannot be started.", ref=ref, status=status),
        "closed": _l("%(ref)s is %(status)s: it cannot be closed.", ref=ref, status=status),
        "verified": _l(
            "%(ref)s is %(status)s: it cannot be verified (only an implemented control can be).",
            ref=ref,
            status=status,
        ),
        "reopened": _l("%(ref)s is %(status)s: it cannot be reopened.", ref=ref, status=status),
        "cancelled": _l("%(ref)s is %(status)s: it cannot be cancelled.", ref=ref, status=status),
    }
    return messages[doing]


def linked_risks(control: Control) -> list[Risk]:
    """The risks the control mitigates, read from the link table (whatever was loaded before)."""
    return list(
        db.session.scalars(
            sa.select(Risk)
            .join(risk_controls, risk_controls.c.risk_id == Risk.id)
            .where(risk_controls.c.control_id == control.id)
            .order_by(Risk.id)
        )
    )


def record_on_risks(
    control: Control, action: str, changes: dict[str, list[Any]], actor: Any, note: str = ""
) -> None:
    """Also write the event on each risk the control mitigates, so the risk's History shows it."""
    for risk in linked_risks(control):
        audit.record("risk", risk.id, action, actor, changes, note)


def residual_review_due(risk: Risk) -> bool:
    """Every control that still counts is implemented or verified, and one was closed or verified
    after the residual score was last assessed: the score should be looked at again.

    Reads the risk's already-loaded controls (no query)."""
    counted = [c for c in risk.controls if c.status is not ControlStatus.CANCELLED]
    if not counted or any(c.status not in DONE_CONTROL_STATUSES for c in counted):
        return False
    stamps = [t for c in counted for t in (c.closed_at, c.verified_at) if t is not None]
    return bool(stamps) and max(stamps) > risk.residual_assessed_at
