"""/controls/critical (every critical control with its last verification, compliance and open
immediate actions), a control's critical page (standard, schedule, verifications), and recording
a verification: risk managers, and the heads of the department that verifies the control."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg.auth.permissions import Permission, has_permission, permission_required
from riskreg.controls import evidence
from riskreg.controls.models import Control, Effectiveness
from riskreg.critical import queries, services
from riskreg.critical.forms import (
    BLANK_CHECK_ROWS,
    CriticalForm,
    ScheduleForm,
    UncriticalForm,
    VerificationForm,
)
from riskreg.critical.models import Answer, Frequency, Verification
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.sites.models import Site


def get_control_or_404(control_id: int) -> Control:
    control = db.session.get(Control, control_id)
    if control is None:
        abort(404, _("There is no control with id %(id)s.", id=control_id))
    return control


def to_page(control_id: int, anchor: str | None = None):
    return redirect(url_for("critical.control", control_id=control_id, _anchor=anchor))


@permission_required(Permission.VIEW)
def index():
    on = today()
    rows = queries.critical_rows(on)
    return render_template("critical/list.html", rows=rows, on=on, counts=queries.dashboard_counts_of(rows))


def _departments():
    return db.session.execute(
        sa.select(Department.id, Department.name).where(Department.active.is_(True)).order_by(Department.name)
    ).all()


def _sites():
    return db.session.execute(sa.select(Site.id, Site.name).order_by(Site.name)).all()


def render_control(control: Control, status: int = 200, error: str | None = None, **forms):
    info = queries.control_critical(control)
    manager = has_permission(current_user, Permission.MANAGE_CONTROLS)
    defaults = {
        "critical_form": CriticalForm(formdata=None, obj=None),
        "uncritical_form": UncriticalForm(formdata=None),
        "schedule_form": ScheduleForm(formdata=None),
    }
    defaults.update(forms)
    return (
        render_template(
            "critical/control.html",
            control=control,
            department=db.session.get(Department, control.department_id),
            info=info,
            manager=manager,
            may_verify=services.can_verify(current_user, control),
            frequencies=list(Frequency),
            departments=_departments(),
            sites=_sites(),
            blank_rows=BLANK_CHECK_ROWS,
            posted=request.form if request.method == "POST" else None,
            on=today(),
            error=error,
            **defaults,
        ),
        status,
    )


@permission_required(Permission.VIEW)
def control(control_id: int):
    return render_control(get_control_or_404(control_id))


@permission_required(Permission.MANAGE_CONTROLS)
def mark(control_id: int):
    control = get_control_or_404(control_id)
    form = CriticalForm()
    if not form.validate_on_submit():
        return render_control(
            control, 200, _("Some fields need attention. Nothing was saved."), critical_form=form
        )
    ref = control.ref
    try:
        services.mark_critical(
            control, form.critical_reason.data, form.objective.data, form.checks(request.form), current_user
        )
        db.session.commit()
    except services.CriticalError as error:
        db.session.rollback()
        return render_control(
            get_control_or_404(control_id),
            200,
            _("%(error)s Nothing was saved.", error=error),
            critical_form=form,
        )
    flash(_("%(ref)s is a critical control, with its performance standard.", ref=ref), "success")
    return to_page(control_id)


@permission_required(Permission.MANAGE_CONTROLS)
def unmark(control_id: int):
    control = get_control_or_404(control_id)
    form = UncriticalForm()
    if not form.validate_on_submit():
        return to_page(control_id)
    ref = control.ref
    try:
        services.unmark_critical(control, form.reason.data, current_user)
        db.session.commit()
    except services.CriticalError as error:
        db.session.rollback()
        flash(_("%(error)s Nothing was changed.", error=error), "error")
    else:
        flash(
            _(
                "%(ref)s is no longer a critical control; its schedule is stopped, its verifications kept.",
                ref=ref,
            ),
            "success",
        )
    return to_page(control_id)


@permission_required(Permission.MANAGE_CONTROLS)
def schedule(control_id: int):
    control = get_control_or_404(control_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash(
            " ".join(str(e) for errors in form.errors.values() for e in errors) or _("Nothing was sent."),
            "error",
        )
        return to_page(control_id, "schedule")
    ref = control.ref
    try:
        department_id = int(form.department_id.data) if (form.department_id.data or "").isdigit() else None
        services.set_schedule(
            control,
            form.frequency.data or None,
            department_id,
            form.site_ids(request.form),
            form.starts_on.data,
            current_user,
        )
        services.plan()  # the current period's task at once, not at tonight's run
        db.session.commit()
    except (services.CriticalError, ValueError) as error:
        db.session.rollback()
        flash(_("%(error)s Nothing was saved.", error=error), "error")
    else:
        flash(_("Verification schedule of %(ref)s saved; the tasks due are planned.", ref=ref), "success")
    return to_page(control_id, "schedule")


def verifiers_only(control: Control) -> None:
    if not services.can_verify(current_user, control):
        abort(
            403,
            _("%(ref)s is verified by another department (or is not a critical control).", ref=control.ref),
        )


def _checks_or_redirect(control: Control):
    standard = services.standard_of(control) if control.critical else None
    return services.active_checks(standard) if standard is not None else None


def render_verify(control: Control, form: VerificationForm, status: int = 200, error: str | None = None):
    checks = _checks_or_redirect(control) or []
    corrects = _corrects()
    return (
        render_template(
            "critical/verify.html",
            control=control,
            checks=checks,
            form=form,
            answers=list(Answer),
            ratings=[Effectiveness.PARTIALLY_EFFECTIVE, Effectiveness.INEFFECTIVE],
            departments=_departments(),
            sites=_sites(),
            posted=request.form if request.method == "POST" else None,
            corrects=corrects,
            error=error,
            task=services.open_task(control),
            on=today(),
        ),
        status,
    )


def _corrects() -> Verification | None:
    ident = request.values.get("corrects", "")
    return db.session.get(Verification, int(ident)) if ident.isdigit() else None


def _route_level() -> None:
    if not (
        has_permission(current_user, Permission.MANAGE_CONTROLS)
        or has_permission(current_user, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS)
    ):
        abort(403)


def verify(control_id: int):
    """Record a verification against the standard: files and rows commit together, or neither."""
    _route_level()
    control = get_control_or_404(control_id)
    if not control.critical and has_permission(current_user, Permission.MANAGE_CONTROLS):
        flash(
            _(
                "%(ref)s is not a critical control: mark it critical, with its standard, first.",
                ref=control.ref,
            ),
            "error",
        )
        return to_page(control_id)
    verifiers_only(control)
    form = VerificationForm(formdata=None) if request.method == "GET" else VerificationForm()
    if request.method == "GET":
        return render_verify(control, form)
    checks = _checks_or_redirect(control) or []
    valid = form.validate_on_submit()
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    uploads = []
    for upload in evidence.submitted(form.evidence.data):
        try:
            uploads.append((upload, evidence.check(upload, limit)))
        except evidence.EvidenceError as error:
            form.evidence.errors.append(str(error))
    if not valid or form.evidence.errors:
        return render_verify(control, form, 200, _("Some fields need attention. Nothing was saved."))
    ref = control.ref
    try:
        site_id = int(form.site_id.data) if (form.site_id.data or "").isdigit() else None
        corrects = _corrects()
        with evidence.FileBatch() as batch:
            stored = [batch.store(upload, kind) for upload, kind in uploads]
            verification = services.record_verification(
                control,
                form.answers(request.form, [c.id for c in checks]),
                current_user,
                performed_on=form.performed_on.data,
                findings=form.findings.data,
                immediate_action=form.immediate_action.data,
                effectiveness=form.effectiveness.data or None,
                site_id=site_id,
                files=stored,
                corrects=corrects,
                corrective=form.corrective(),
            )
            failed = verification.failed
            corrective = verification.corrective_control_id
            corrective_ref = db.session.get(Control, corrective).ref if corrective else None
            db.session.commit()
    except (services.CriticalError, ValueError) as error:
        db.session.rollback()
        return render_verify(
            get_control_or_404(control_id), form, 200, _("%(error)s Nothing was saved.", error=error)
        )
    except evidence.StorageFull as error:
        db.session.rollback()
        form.evidence.errors.append(str(error))
        return render_verify(get_control_or_404(control_id), form, 200, _("Nothing was saved."))
    if failed:
        message = _(
            "Verification of %(ref)s recorded: failed. Its risks are flagged for review and their owners "
            "told.",
            ref=ref,
        )
        if corrective_ref:
            message += " " + _("Corrective action %(ref)s created.", ref=corrective_ref)
        flash(message, "success")
    else:
        flash(_("Verification of %(ref)s recorded: passed.", ref=ref), "success")
    return to_page(control_id, "verifications")
