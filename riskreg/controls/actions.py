"""POST actions on one control: start, progress note, close with evidence, add evidence (the
department's head or a risk manager), and verify, reopen, cancel (risk managers only).

Each checks the object (403 for another department's control), validates, calls one service, and
commits once. A stale version or a concurrent change is reported, never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from riskreg import versioning
from riskreg.auth.permissions import Permission, has_permission, permission_required
from riskreg.controls import evidence, services
from riskreg.controls.forms import (
    CancelForm,
    CloseForm,
    EvidenceForm,
    NoteForm,
    ReopenForm,
    StartForm,
    VerifyForm,
)
from riskreg.controls.models import Control
from riskreg.controls.views import N_, conflict_message, get_control_or_404, render_detail, require_update
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n import ngettext


def updaters_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Route level: risk managers and department heads; the object check follows in the view."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not (
            has_permission(current_user, Permission.MANAGE_CONTROLS)
            or has_permission(current_user, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS)
        ):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def back(control_id: int, return_to: str | None):
    """Back to where the form was (only the two pages that show these forms; never a free URL)."""
    if return_to == "mine":
        return redirect(url_for("controls.mine"))
    return redirect(url_for("controls.detail", control_id=control_id))


def conflict(control_id: int, return_to: str | None):
    db.session.rollback()
    flash(conflict_message(control_id), "error")
    return back(control_id, return_to)


def required_version(form: Any, control: Control) -> str:
    """A post without the version it was opened at is a 400 (it could undo a change made meanwhile).
    Returns the control's ref, read now: after the commit the view must not touch the database."""
    versioning.posted_version(form, "control")
    return control.ref


def field_error(form: Any, error: services.ControlRuleError) -> None:
    target = getattr(form, error.field, None)
    if target is None or error.field == "status":
        flash(str(error), "error")
    else:
        target.errors.append(str(error))


def checked_uploads(form: Any) -> list[tuple[Any, evidence.Kind]]:
    """Every chosen file checked before anything is stored; errors go next to the file field."""
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    accepted = []
    for upload in evidence.submitted(form.evidence.data):
        try:
            accepted.append((upload, evidence.check(upload, limit)))
        except evidence.EvidenceError as error:
            form.evidence.errors.append(str(error))
    return accepted


@updaters_only
def start(control_id: int):
    control = get_control_or_404(control_id)
    require_update(control)
    form = StartForm()
    ref = required_version(form, control)
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return back(control_id, form.return_to.data)
    try:
        services.start_control(control, current_user, form.version.data)
        db.session.commit()
    except services.ControlRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
    except (services.ControlConflict, StaleDataError):
        return conflict(control_id, form.return_to.data)
    else:
        flash(_("%(ref)s is now in progress.", ref=ref), "success")
    return back(control_id, form.return_to.data)


@updaters_only
def note(control_id: int):
    control = get_control_or_404(control_id)
    require_update(control)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_detail(control, note_form=form)
    ref = control.ref  # after the commit the view must not touch the database
    services.add_progress_note(control, form.body.data, current_user)
    db.session.commit()
    flash(_("Progress note added to %(ref)s.", ref=ref), "success")
    return back(control_id, form.return_to.data)


@updaters_only
def close(control_id: int):
    """Implemented, with a closing note and optional evidence: files and rows commit together, and
    the files are removed again if the database write fails."""
    control = get_control_or_404(control_id)
    require_update(control)
    form = CloseForm()
    ref = required_version(form, control)
    valid = form.validate_on_submit()
    uploads = checked_uploads(form)
    if not valid or form.evidence.errors:
        return render_detail(control, close_form=form)
    try:
        with evidence.FileBatch() as batch:
            stored = [batch.store(upload, kind) for upload, kind in uploads]
            services.close_control(control, form.closing_note.data, stored, current_user, form.version.data)
            db.session.commit()
    except services.ControlRuleError as error:
        db.session.rollback()
        field_error(form, error)
        return render_detail(get_control_or_404(control_id), close_form=form)
    except evidence.StorageFull as error:  # the files are removed again, the control is unchanged
        db.session.rollback()
        form.evidence.errors.append(str(error))
        return render_detail(get_control_or_404(control_id), close_form=form)
    except (services.ControlConflict, StaleDataError):
        return conflict(control_id, form.return_to.data)
    if stored:
        closed = ngettext(
            "%(ref)s closed as implemented with %(num)d evidence file. A risk manager will verify it.",
            "%(ref)s closed as implemented with %(num)d evidence files. A risk manager will verify it.",
            len(stored),
            ref=ref,
        )
    else:
        closed = _("%(ref)s closed as implemented. A risk manager will verify it.", ref=ref)
    flash(closed, "success")
    return back(control_id, form.return_to.data)


@updaters_only
def add_evidence(control_id: int):
    control = get_control_or_404(control_id)
    require_update(control)
    form = EvidenceForm()
    valid = form.validate_on_submit()
    uploads = checked_uploads(form)
    if valid and not uploads and not form.evidence.errors:
        form.evidence.errors.append(_("Choose at least one file."))
    if not valid or form.evidence.errors:
        return render_detail(control, evidence_form=form)
    ref = control.ref  # after the commit the view must not touch the database
    try:
        with evidence.FileBatch() as batch:
            stored = [batch.store(upload, kind) for upload, kind in uploads]
            services.add_evidence(control, stored, current_user)
            db.session.commit()
    except evidence.StorageFull as error:
        db.session.rollback()
        form.evidence.errors.append(str(error))
        return render_detail(get_control_or_404(control_id), evidence_form=form)
    flash(_("Evidence added to %(ref)s.", ref=ref), "success")
    return back(control_id, form.return_to.data)


def _manager_action(control_id: int, form: Any, form_name: str, apply, done: str):
    control: Control = get_control_or_404(control_id)
    ref = required_version(form, control)
    if not form.validate_on_submit():
        return render_detail(control, **{form_name: form})
    try:
        apply(control)
        db.session.commit()
    except services.ControlRuleError as error:
        db.session.rollback()
        field_error(form, error)
        return render_detail(get_control_or_404(control_id), **{form_name: form})
    except (services.ControlConflict, StaleDataError):
        return conflict(control_id, None)
    flash(_(done, ref=ref), "success")
    return back(control_id, None)


@permission_required(Permission.MANAGE_CONTROLS)
def verify(control_id: int):
    form = VerifyForm()
    return _manager_action(
        control_id,
        form,
        "verify_form",
        lambda c: services.verify_control(c, form.rating, form.note.data, current_user, form.version.data),
        N_("%(ref)s verified."),
    )


@permission_required(Permission.MANAGE_CONTROLS)
def reopen(control_id: int):
    form = ReopenForm()
    return _manager_action(
        control_id,
        form,
        "reopen_form",
        lambda c: services.reopen_control(c, form.reason.data, current_user, form.version.data),
        N_("%(ref)s reopened: it is back in progress with its department."),
    )


@permission_required(Permission.MANAGE_CONTROLS)
def cancel(control_id: int):
    form = CancelForm()
    return _manager_action(
        control_id,
        form,
        "cancel_form",
        lambda c: services.cancel_control(c, form.reason.data, current_user, form.version.data),
        N_("%(ref)s cancelled."),
    )
