"""/api/v1/controls: the tracker's filters, and changes through the controls' services (the head's
start, note and close on their own department's controls; verify by risk managers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from riskreg import params
from riskreg.api import schemas
from riskreg.api.io import if_match_version, respond, rule_broken, stale
from riskreg.api.problems import Problem
from riskreg.api.risks import history_of
from riskreg.auth.permissions import Permission, can_manage_controls, can_update_control, has_permission
from riskreg.controls import queries, services
from riskreg.controls.filters import parse_control_filters
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.risks.models import Risk


def _ref(obj: Any) -> schemas.NamedRef | None:
    return None if obj is None else schemas.NamedRef(id=obj.id, name=obj.name)


def represent(control: Control) -> schemas.Control:
    return schemas.Control.model_validate(
        {
            **{name: getattr(control, name) for name in schemas.Control.model_fields if name not in _LINKS},
            "department": _ref(control.department),
            "owner": _ref(control.owner),
            "risks": [schemas.RiskRef(id=r.id, ref=r.ref, title=r.title) for r in control.risks],
        }
    )


_LINKS = {"department", "owner", "risks"}


def find(control_id: int) -> Control:
    control = queries.control_with_links(control_id)
    if control is None:
        raise Problem(404, _("There is no control with id %(id)s.", id=control_id))
    return control


def list_controls():
    filters = parse_control_filters(request.args)  # the tracker's own parser: the same 400s
    page, per_page = params.page_args()
    found, _ = queries.tracker_page(filters, page, per_page, today())
    args = {**request.args.to_dict(), "per_page": per_page}
    args.pop("page", None)
    if per_page == current_app.config["PAGE_SIZE"]:
        args.pop("per_page")
    links = schemas.Links()
    if page * per_page < found.total:
        links.next = url_for("api.list_controls", page=page + 1, **args)
    if page > 1:
        links.prev = url_for("api.list_controls", page=page - 1, **args)
    return respond(
        schemas.ControlPage(items=[represent(c) for c in found.items], total=found.total, links=links)
    )


def get_control(control_id: int):
    return respond(represent(find(control_id)))


def control_history(control_id: int):
    find(control_id)
    return respond(history_of("control", control_id))


def _actor() -> Any:
    return g._login_user


def _saved(control_id: int, version: int, change: Callable[[], Any], status: int = 200):
    """Run the service change and commit; its rule errors as 422, a conflict as 412."""
    try:
        change()
        db.session.commit()
    except (services.ControlConflict, StaleDataError):
        db.session.rollback()
        raise stale(version, represent(find(control_id))) from None
    except services.ControlRuleError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    return respond(represent(find(control_id)), status)


def create_control(body: schemas.ControlCreate):
    risks = []
    for risk_id in dict.fromkeys(body.risk_ids):
        risk = db.session.get(Risk, risk_id)
        if risk is None:
            raise rule_broken("risk_ids", _("There is no risk with id %(id)s.", id=risk_id))
        if not can_manage_controls(_actor(), risk):
            raise rule_broken(
                "risk_ids", _("%(ref)s is archived: restore it before adding controls.", ref=risk.ref)
            )
        risks.append(risk)
    data = body.model_dump(exclude={"risk_ids"})
    try:
        control = services.create_control(data, _actor(), risks=risks)
    except services.ControlRuleError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    control_id = control.id
    db.session.commit()
    location = {"Location": url_for("api.get_control", control_id=control_id)}
    return respond(represent(find(control_id)), 201, location)


def _versioned(control_id: int, allowed: Callable[[Any, Control], bool]) -> tuple[Control, int]:
    control = find(control_id)
    if not allowed(_actor(), control):
        raise Problem(
            403,
            _(
                "%(ref)s belongs to %(department)s; you cannot change it.",
                ref=control.ref,
                department=control.department.name,
            ),
        )
    version = if_match_version()
    if version != control.version:
        raise stale(version, represent(control))
    return control, version


def _manager(user: Any, _control: Control) -> bool:
    return has_permission(user, Permission.MANAGE_CONTROLS)


def update_control(control_id: int, body: schemas.ControlPatch):
    control, version = _versioned(control_id, _manager)
    data = {name: getattr(control, name) for name in services.EDITABLE_FIELDS}
    data.update(body.model_dump(exclude_unset=True))
    return _saved(control_id, version, lambda: services.update_control(control, data, _actor(), version))


def start_control(control_id: int):
    control, version = _versioned(control_id, can_update_control)
    return _saved(control_id, version, lambda: services.start_control(control, _actor(), version))


def note_control(control_id: int, body: schemas.NoteRequest):
    control = find(control_id)
    if not can_update_control(_actor(), control):
        raise Problem(
            403,
            _(
                "%(ref)s belongs to %(department)s; you cannot change it.",
                ref=control.ref,
                department=control.department.name,
            ),
        )
    version = control.version  # a note changes nothing of the control: no If-Match
    return _saved(control_id, version, lambda: services.add_progress_note(control, body.body, _actor()), 201)


def close_control(control_id: int, body: schemas.CloseRequest):
    control, version = _versioned(control_id, can_update_control)
    return _saved(
        control_id, version, lambda: services.close_control(control, body.note, [], _actor(), version)
    )


def verify_control(control_id: int, body: schemas.VerifyRequest):
    control, version = _versioned(control_id, _manager)
    return _saved(
        control_id,
        version,
        lambda: services.verify_control(control, body.effectiveness, body.note, _actor(), version),
    )


def may_update_controls(user: Any) -> bool:
    return has_permission(user, Permission.MANAGE_CONTROLS) or has_permission(
        user, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS
    )


def _query():
    from riskreg.api.spec import Param
    from riskreg.controls.filters import FALSE, MAX_QUERY_LENGTH, SORTS, STATUS_GROUPS, TRUE

    whole = {"type": "integer", "minimum": 1}
    return (
        Param("department", whole),
        Param("status", {"enum": list(STATUS_GROUPS)}),
        Param("overdue", {"enum": list(TRUE + FALSE)}),
        Param("due_within", {"type": "integer", "minimum": 0}, "Due within this many days."),
        Param("site", {"type": "string"}, "A site id, or `corporate`."),
        Param("risk", whole, "Controls of this risk."),
        Param("owner", {"type": "string"}, "A user id, or `none` for controls of nobody."),
        Param("due", {"enum": ["none"]}, "`none`: controls without a due date."),
        Param("q", {"type": "string", "maxLength": MAX_QUERY_LENGTH}),
        Param("sort", {"enum": list(SORTS)}),
        Param("page", whole),
        Param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
    )


QUERY = _query()
