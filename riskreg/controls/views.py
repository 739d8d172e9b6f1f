"""Control pages: the cross-department tracker, a department head's own controls, a control's page,
its edit form and evidence downloads. The POST actions live in controls/actions.py, the URL map in
controls/blueprint.py."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg import audit, editing, labels, params, storage
from riskreg.auth.permissions import Permission, can_update_control, permission_required
from riskreg.controls import evidence, queries, services
from riskreg.controls.filters import STATUS_GROUPS, parse_control_filters
from riskreg.controls.forms import (
    CancelForm,
    CloseForm,
    ControlEditForm,
    EvidenceForm,
    NoteForm,
    ReopenForm,
    StartForm,
    VerifyForm,
)
from riskreg.controls.models import Control, ControlEvidence, ControlStatus
from riskreg.critical import queries as critical_queries
from riskreg.extensions import db
from riskreg.i18n import N_, moment
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.risks.models import Risk
from riskreg.savedviews import apply as saved_views
from riskreg.storage import http as stored_file

logger = logging.getLogger(__name__)


# What the last event on a control means, for "closed by X at 10:42" messages: one whole sentence
# per action (a translation needs the sentence, not a verb to fill in).
HAPPENED = {
    "close": N_("%(ref)s was closed as implemented by %(who)s at %(when)s while you had it open."),
    "verify": N_("%(ref)s was verified by %(who)s at %(when)s while you had it open."),
    "reopen": N_("%(ref)s was reopened by %(who)s at %(when)s while you had it open."),
    "cancel": N_("%(ref)s was cancelled by %(who)s at %(when)s while you had it open."),
    "start": N_("%(ref)s was moved to in progress by %(who)s at %(when)s while you had it open."),
    "update": N_("%(ref)s was edited by %(who)s at %(when)s while you had it open."),
}
CHANGED = N_("%(ref)s was changed by %(who)s at %(when)s while you had it open.")


@permission_required(Permission.VIEW)
def list():
    """Every department's controls, filtered, by due date, with counts per department and status."""
    # Opened plain: the user's default view, else the open controls by due date (the work to do).
    args, view = saved_views.page_args("controls", fallback={"status": "open"})
    filters = parse_control_filters(args)
    page, per_page = params.page_args()
    on = today()
    departments, sites, owners = queries.tracker_menus()
    result, table = queries.tracker_rows(filters, page, per_page, on, {d.id: d.name for d in departments})
    risk = db.session.get(Risk, filters.risk) if filters.risk else None
    user = current_user._get_current_object()
    return render_template(
        "controls/list.html",
        page=result,
        table=table,
        filters=filters,
        statuses=[s for s in ControlStatus],
        status_labels=labels.enum_labels(ControlStatus),  # looked up once, not per row and cell
        status_groups=STATUS_GROUPS,
        departments=departments,
        sites=sites,
        owners=owners,
        risk=risk,
        on=on,
        changeable={row.id for row in result.items if can_update_control(user, row)},
        **saved_views.panel("controls", view, args),
    )


@permission_required(Permission.VIEW)
def mine():
    """A department head's open controls: overdue first, then by due date."""
    department = current_user.department
    if department is None:
        return render_template("controls/mine.html", department=None)
    page, per_page = params.page_args()
    on = today()
    horizon = current_app.config["REMINDER_HORIZON_DAYS"]
    summary = queries.department_summary(department.id, on, horizon)
    open_page = queries.department_open_page(department.id, page, per_page, summary.open, on)
    awaiting = queries.awaiting_verification(department.id, on)
    queries.with_risks(open_page.items + awaiting)  # one query for both lists
    user = current_user._get_current_object()
    return render_template(
        "controls/mine.html",
        department=department,
        summary=summary,
        horizon=horizon,
        page=open_page,
        awaiting=awaiting,
        verifications=critical_queries.department_due(department.id, on),
        on=on,
        status_labels=labels.enum_labels(ControlStatus),
        changeable={row.id for row in open_page.items if can_update_control(user, row)},
    )


def get_control_or_404(control_id: int) -> Control:
    control = queries.control_with_links(control_id)
    if control is None:
        abort(404, _("There is no control with id %(id)s.", id=control_id))
    return control


def require_update(control: Control) -> None:
    """Per object: a department head only their own department's controls."""
    if not can_update_control(current_user, control):
        abort(
            403,
            _(
                "%(ref)s belongs to %(department)s; you cannot change it.",
                ref=control.ref,
                department=control.department.name,
            ),
        )


def detail_forms(control: Control, **override: Any) -> dict[str, Any]:
    forms: dict[str, Any] = {
        "start_form": StartForm(formdata=None, version=control.version),
        "note_form": NoteForm(formdata=None),
        "close_form": CloseForm(formdata=None, version=control.version),
        "evidence_form": EvidenceForm(formdata=None),
        "verify_form": VerifyForm(formdata=None, version=control.version),
        "reopen_form": ReopenForm(formdata=None, version=control.version),
        "cancel_form": CancelForm(formdata=None, version=control.version),
    }
    forms.update(override)
    return forms


def render_detail(control: Control, **override: Any):
    from riskreg.comments import views as comment_views  # comments import the controls' models

    return render_template(
        "controls/detail.html",
        control=control,
        events=audit.history("control", control.id),
        on=today(),
        **detail_forms(control, **override),
        **comment_views.panel("control", control.id),
    )


@permission_required(Permission.VIEW)
def detail(control_id: int):
    return render_detail(get_control_or_404(control_id))


def conflict_message(control_id: int) -> str:
    """What happened meanwhile, from the control's latest audit event."""
    control = db.session.get(Control, control_id)
    last = audit.history("control", control_id, limit=1)
    if control is None or not last:
        return _("Someone else changed this control while you had it open. Nothing you entered was saved.")
    event = last[0]
    who = event.actor.name if event.actor else _("someone else")
    happened = _(HAPPENED.get(event.action, CHANGED), ref=control.ref, who=who, when=moment(event.at))
    now = _("It is now %(status)s.", status=control.status.label.lower())
    advice = _("Nothing you entered was saved; check its current state before trying again.")
    return f"{happened} {now} {advice}"


def editable(control: Control) -> dict[str, Any]:
    """The stored control as its edit form holds it."""
    return {name: getattr(control, name) for name in services.EDITABLE_FIELDS}


@permission_required(Permission.MANAGE_CONTROLS)
def edit(control_id: int):
    """Edit with optimistic locking: a change saved meanwhile is merged in field by field; only a
    field both people changed asks whose value to keep."""
    control = get_control_or_404(control_id)
    ref = control.ref  # read before the commit: after it, the view must not touch the database
    form = ControlEditForm(obj=control)
    edit = editing.Edit(form, "control", control_id, services.EDITABLE_FIELDS)
    if request.method == "GET":
        edit.open(editable(control), control.version)
        return render_template("controls/form.html", form=form, control=control, risk=None, conflict=None)

    def write(current: Control, values: dict[str, Any]) -> dict[str, Any]:
        changes = services.update_control(current, values, current_user, current.version)
        db.session.commit()
        return changes

    outcome = edit.post(lambda: get_control_or_404(control_id), editable, write, services.ControlRuleError)
    if outcome.saved:
        flash(edit.message(ref, outcome), "success")
        return redirect(url_for("controls.detail", control_id=control_id))
    return render_template("controls/form.html", form=form, control=control, risk=None, conflict=edit.panel)


@permission_required(Permission.VIEW)
def download(control_id: int, evidence_id: int):
    """Always an attachment, never rendered: nosniff, a sandbox CSP, and a safe file name."""
    item = db.session.get(ControlEvidence, evidence_id)
    control = db.session.get(Control, control_id)
    if item is None or control is None or item.control_id != control_id:
        abort(404, _("There is no such evidence file."))
    fallback = f"{control.ref}-evidence-{item.id}"
    try:
        response = stored_file.send(
            evidence.key_of(item.stored_name),
            mimetype=item.content_type,
            download_name=evidence.download_name(item.original_name, fallback),
            etag=item.sha256,
        )
    except storage.Missing:
        logger.error("evidence %s of control %s is missing from storage", item.id, control_id)
        abort(404, _("The evidence file is missing from storage; tell an administrator."))
    response.headers["Content-Disposition"] = evidence.content_disposition(item.original_name, fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
