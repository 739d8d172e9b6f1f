"""Who may do what: one map from role to permissions, and per-object predicates shared with templates."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from riskreg.auth.models import Role


class Permission(enum.StrEnum):
    VIEW = "view"  # the register, controls, sites, dashboard, reports
    EXPORT = "export"
    EDIT_RISKS = "edit_risks"
    MANAGE_CONTROLS = "manage_controls"  # create, assign, verify, reopen any control
    UPDATE_OWN_DEPARTMENT_CONTROLS = "update_own_department_controls"
    IMPORT = "import"
    RECORD_MONITORING = "record_monitoring"  # ASM observations, engagements
    MANAGE_REFERENCE = "manage_reference"  # sites, departments, settings
    MANAGE_USERS = "manage_users"
    # Decide acceptance requests; which bands each role may decide is in acceptances/services.py.
    APPROVE_ACCEPTANCES = "approve_acceptances"
    RECORD_GRIEVANCES = "record_grievances"  # record a grievance; take the steps of those one may handle
    HANDLE_ANY_GRIEVANCE = "handle_any_grievance"  # steps and links on every department's grievances
    SEE_COMPLAINANTS = "see_complainants"  # who raised a grievance and how to reach them (audited)


_RISK_MANAGER = {
    Permission.VIEW,
    Permission.EXPORT,
    Permission.EDIT_RISKS,
    Permission.MANAGE_CONTROLS,
    Permission.IMPORT,
    Permission.RECORD_MONITORING,
    Permission.APPROVE_ACCEPTANCES,
    Permission.RECORD_GRIEVANCES,
    Permission.HANDLE_ANY_GRIEVANCE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RISK_MANAGER: frozenset(_RISK_MANAGER),
    Role.DEPARTMENT_HEAD: frozenset(
        {
            Permission.VIEW,
            Permission.EXPORT,
            Permission.UPDATE_OWN_DEPARTMENT_CONTROLS,
            Permission.RECORD_GRIEVANCES,
        }
    ),
    Role.EXECUTIVE: frozenset({Permission.VIEW, Permission.EXPORT, Permission.APPROVE_ACCEPTANCES}),
    # Reads the register like a department head; records and handles every grievance and is, with
    # admins, the only one to see who raised it.
    Role.GRIEVANCE_OFFICER: frozenset(
        {
            Permission.VIEW,
            Permission.EXPORT,
            Permission.RECORD_GRIEVANCES,
            Permission.HANDLE_ANY_GRIEVANCE,
            Permission.SEE_COMPLAINANTS,
        }
    ),
}


def has_permission(user: Any, permission: Permission) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


F = TypeVar("F", bound=Callable[..., Any])


def permission_required(permission: Permission) -> Callable[[F], F]:
    """Route-level check; views then check the object with the predicates below."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def can_edit_risk(user: Any, risk: Any = None) -> bool:
    """May edit risks; given one, may edit that risk (an archived risk is restored, not edited)."""
    return has_permission(user, Permission.EDIT_RISKS) and (risk is None or risk.editable)


def can_manage_controls(user: Any, risk: Any = None) -> bool:
    """May create, link, verify... controls; given a risk, may change that risk's controls."""
    return has_permission(user, Permission.MANAGE_CONTROLS) and (risk is None or risk.editable)


def require_risk_change(
    risk: Any, allowed: Callable[..., bool] = can_edit_risk, doing: str = "editing it"
) -> None:
    """The server side of can_edit_risk / can_manage_controls for the signed-in user: a 403 when the
    role may not, a 400 saying what to do when the risk is archived."""
    if allowed(current_user, risk):
        return
    if allowed(current_user):
        sentence = ARCHIVED.get(doing)  # each whole sentence translated, never pieced together
        abort(
            400,
            str(sentence) % {"ref": risk.ref}
            if sentence
            else f"{risk.ref} is archived: restore it before {doing}.",
        )
    abort(403)


# What require_risk_change says of an archived risk, per `doing` of its callers.
ARCHIVED = {
    "editing it": _l("%(ref)s is archived: restore it before editing it."),
    "changing its bowtie": _l("%(ref)s is archived: restore it before changing its bowtie."),
    "changing its controls": _l("%(ref)s is archived: restore it before changing its controls."),
    "confirming its residual score": _l(
        "%(ref)s is archived: restore it before confirming its residual score."
    ),
    "asking for its acceptance": _l("%(ref)s is archived: restore it before asking for its acceptance."),
}


def can_update_control(user: Any, control: Any) -> bool:
    """Risk managers update any control; a department head only their own department's."""
    if has_permission(user, Permission.MANAGE_CONTROLS):
        return True
    return (
        has_permission(user, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS)
        and user.department_id is not None
        and control.department_id == user.department_id
    )


def can_handle_grievance(user: Any, grievance: Any) -> bool:
    """Take a grievance's steps and link it: officers, risk managers and admins any; a department head
    those owned by their own department."""
    if has_permission(user, Permission.HANDLE_ANY_GRIEVANCE):
        return True
    return (
        has_permission(user, Permission.RECORD_GRIEVANCES)
        and user.department_id is not None
        and grievance.owner_department_id == user.department_id
    )


def can_edit_view(user: Any, view: Any) -> bool:
    """Rename, re-filter, share or delete a saved view: its owner; a shared one also risk managers
    and admins (they keep the team's views tidy)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if view.owner_id == user.id:
        return True
    return view.shared and user.role in (Role.ADMIN, Role.RISK_MANAGER)


def can_see_complainant(user: Any) -> bool:
    return has_permission(user, Permission.SEE_COMPLAINANTS)


def template_helpers() -> dict[str, Any]:
    return {
        "Permission": Permission,
        "has_permission": has_permission,
        "can_edit_risk": can_edit_risk,
        "can_manage_controls": can_manage_controls,
        "can_update_control": can_update_control,
        "can_handle_grievance": can_handle_grievance,
        "can_see_complainant": can_see_complainant,
        "can_edit_view": can_edit_view,
    }
