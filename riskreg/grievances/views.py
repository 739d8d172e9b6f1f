"""/grievances: the list with filters and KPIs, recording, a grievance's page, its steps and links,
and its complainant (grievance officers and admins only; every view of it audited)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg import audit, editing, scoring
from riskreg.auth.permissions import (
    Permission,
    can_handle_grievance,
    can_see_complainant,
    permission_required,
)
from riskreg.extensions import db
from riskreg.grievances import queries, services
from riskreg.grievances.charts import per_month_figure
from riskreg.grievances.forms import (
    COMPLAINANT_FORM_FIELDS,
    ComplainantForm,
    DeadlinesForm,
    GrievanceEditForm,
    GrievanceForm,
    LinkForm,
    StepForm,
)
from riskreg.grievances.models import NEXT_STEPS, Grievance, GrievanceCategory, GrievanceStatus
from riskreg.i18n import gettext as _
from riskreg.modeling import today


class Edit(editing.Edit):
    """editing.Edit for forms whose labels are lazy translations: the merge messages join them as text."""

    def label(self, name: str) -> str:
        return str(super().label(name))

    def show(self, name: str, value: Any) -> str:
        return str(super().show(name, value))


def get_grievance_or_404(grievance_id: int) -> Grievance:
    grievance = db.session.get(Grievance, grievance_id)
    if grievance is None:
        abort(404, _("There is no grievance with id %(id)s.", id=grievance_id))
    return grievance


@permission_required(Permission.VIEW)
def list_grievances():
    filters = queries.GrievanceFilters.from_args(request.args)
    rows, total = queries.grievance_rows(filters)
    limits = services.deadlines()
    figures = queries.kpis(filters)
    return render_template(
        "grievances/list.html",
        rows=rows,
        total=total,
        filters=filters,
        kpis=figures,
        per_month_figure=per_month_figure(figures),
        limits=limits,
        overdue={g.id: services.overdue_reasons(g, limits) for g in rows},
        sites=queries.site_choices(),
        departments=queries.department_choices(),
        statuses=GrievanceStatus,
        categories=GrievanceCategory,
        this_year=today().year,
    )


def severity_levels() -> list[tuple[int, str]]:
    from riskreg.i18n.reference import translate

    return [(level.value, f"{level.value} · {translate(level.label)}") for level in scoring.matrix().impact]


@permission_required(Permission.RECORD_GRIEVANCES)
def create():
    form = GrievanceForm()
    form.set_choices(queries.site_choices(), queries.stakeholder_choices(), queries.department_choices())
    form.set_severity_levels(severity_levels())
    officer = can_see_complainant(current_user)
    if request.method == "POST" and not officer:
        posted = [name for name in COMPLAINANT_FORM_FIELDS if (request.form.get(name) or "").strip()]
        if posted:  # the page never offered these fields: refuse, write nothing
            abort(403, _("Only grievance officers and admins record who raised a grievance."))
    if not form.is_submitted():
        form.received_on.data = today()
        if request.args.get("site"):
            form.site_id.data = request.args.get("site", type=int)
    if form.validate_on_submit():
        try:
            grievance = services.create_grievance(
                form.values(), current_user, form.complainant() if officer else None
            )
            ref, new_id = grievance.ref, grievance.id
            db.session.commit()
        except services.GrievanceError as error:
            db.session.rollback()
            getattr(form, error.field, form.description).errors.append(str(error))
        except services.NotAllowed as error:
            db.session.rollback()
            abort(403, str(error))
        else:
            flash(_("Grievance %(ref)s recorded.", ref=ref), "success")
            return redirect(url_for("grievances.detail", grievance_id=new_id))
    return render_template("grievances/form.html", form=form, officer=officer)


@permission_required(Permission.VIEW)
def detail(grievance_id: int):
    grievance = get_grievance_or_404(grievance_id)
    officer = can_see_complainant(current_user)
    complainant = services.complainant_of(grievance.id) if officer else None
    events = audit.history(services.ENTITY, grievance.id)
    if officer:  # the complainant's own trail: only for those who may see it
        events = sorted(
            [*events, *audit.history(services.COMPLAINANT_ENTITY, grievance.id)],
            key=lambda e: (e.at, e.id),
            reverse=True,
        )
    limits = services.deadlines()
    step_form = StepForm()
    step_form.on.data = today()
    complainant_form = ComplainantForm(obj=complainant) if officer else None
    page = render_template(
        "grievances/detail.html",
        grievance=grievance,
        **queries.names_of(grievance),
        complainant=complainant,
        complainant_form=complainant_form,
        officer=officer,
        steps=queries.steps_of(grievance.id),
        next_steps=NEXT_STEPS[grievance.status],
        step_form=step_form,
        link_form=LinkForm(),
        risks=queries.linked_risks(grievance.id),
        controls=queries.linked_controls(grievance.id),
        events=events,
        limits=limits,
        acknowledge_due=services.acknowledge_due(grievance, limits),
        respond_due=services.respond_due(grievance, limits),
        overdue=services.overdue_reasons(grievance, limits),
        severe=services.is_severe(grievance),
        can_handle=can_handle_grievance(current_user, grievance),
    )
    if complainant is not None:  # the identity was on the page: that view is audited
        ref, actor = grievance.ref, SimpleNamespace(id=current_user.id)
        # End the reading transaction first: on SQLite a write begun after reads cannot wait for
        # the lock, one that writes first can.
        db.session.commit()
        services.record_identity_view(grievance_id, ref, actor)
        db.session.commit()
    return page


def _handled(grievance_id: int) -> Grievance:
    grievance = get_grievance_or_404(grievance_id)
    if not can_handle_grievance(current_user, grievance):
        abort(403)
    return grievance


@permission_required(Permission.RECORD_GRIEVANCES)
def step(grievance_id: int):
    grievance = _handled(grievance_id)
    form = StepForm()
    back = redirect(url_for("grievances.detail", grievance_id=grievance_id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return back
    try:
        services.take_step(
            grievance,
            form.step.data,
            form.on.data,
            current_user,
            note=form.note.data,
            response=form.response.data,
            accepted=form.accepted_value(),
        )
        message = _("%(ref)s is now %(status)s.", ref=grievance.ref, status=grievance.status.label.lower())
        db.session.commit()
    except services.GrievanceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(message, "success")
    return back


@permission_required(Permission.RECORD_GRIEVANCES)
def link(grievance_id: int):
    grievance = _handled(grievance_id)
    form = LinkForm()
    back = redirect(url_for("grievances.detail", grievance_id=grievance_id) + "#links")
    if not form.validate_on_submit():
        flash(_("Give the ref of a risk or a control to link."), "error")
        return back
    if not (form.risk_ref.data or "").strip() and not (form.control_ref.data or "").strip():
        flash(_("Give the ref of a risk or a control to link."), "error")
        return back
    try:
        messages = []
        if (form.risk_ref.data or "").strip():
            risk = services.link_risk(grievance, form.risk_ref.data, current_user)
            flagged = services.is_severe(grievance)
            if flagged:
                messages.append(_("Linked to %(ref)s (flagged for review).", ref=risk.ref))
            else:
                messages.append(_("Linked to %(ref)s.", ref=risk.ref))
        if (form.control_ref.data or "").strip():
            control = services.link_control(grievance, form.control_ref.data, current_user)
            messages.append(_("Linked to %(ref)s.", ref=control.ref))
        db.session.commit()
    except services.GrievanceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(" ".join(messages), "success")
    return back


@permission_required(Permission.SEE_COMPLAINANTS)
def complainant(grievance_id: int):
    grievance = get_grievance_or_404(grievance_id)
    form = ComplainantForm()
    back = redirect(url_for("grievances.detail", grievance_id=grievance_id) + "#complainant")
    if not form.validate_on_submit():
        flash(_("The complainant's details are too long."), "error")
        return back
    try:
        changes = services.set_complainant(grievance, form.data, current_user)
        db.session.commit()
    except services.GrievanceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Complainant saved.") if changes else _("Nothing changed."), "success")
    return back


@permission_required(Permission.MANAGE_REFERENCE)
def settings():
    """The deadlines of the grievance mechanism (admins)."""
    form = DeadlinesForm()
    if not form.is_submitted():
        limits = services.deadlines()
        form.acknowledge_days.data, form.respond_days.data = limits.acknowledge_days, limits.respond_days
    if form.validate_on_submit():
        try:
            changes = services.save_deadlines(
                form.acknowledge_days.data, form.respond_days.data, current_user
            )
            db.session.commit()
        except services.GrievanceError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(_("Deadlines saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("grievances.list"))
    return render_template("grievances/settings.html", form=form)


def editable(grievance: Grievance) -> dict:
    return {name: getattr(grievance, name) for name in services.EDIT_FIELDS}


@permission_required(Permission.RECORD_GRIEVANCES)
def edit(grievance_id: int):
    """Correct or assess a grievance, with optimistic locking: a save made meanwhile is merged."""
    grievance = _handled(grievance_id)
    form = GrievanceEditForm(obj=grievance)
    from riskreg.stakeholders.queries import plan_choices  # the grievance's site's stakeholders

    form.set_choices(
        plan_choices(grievance.site_id, keep=grievance.stakeholder_id),
        queries.department_choices(),
        severity_levels(),
    )
    edit = Edit(form, services.ENTITY, grievance_id, services.EDIT_FIELDS, thing="grievance")
    if request.method == "GET":
        edit.open(editable(grievance), grievance.version)
        return render_template("grievances/edit.html", form=form, grievance=grievance, conflict=None)

    def write(current: Grievance, values: dict) -> dict:
        changes = services.update_grievance(current, values, current_user, current.version)
        db.session.commit()
        return changes

    outcome = edit.post(lambda: _handled(grievance_id), editable, write, services.GrievanceError)
    if outcome.saved:
        flash(edit.message(_("Grievance %(ref)s", ref=grievance.ref), outcome), "success")
        return redirect(url_for("grievances.detail", grievance_id=grievance_id))
    return render_template("grievances/edit.html", form=form, grievance=grievance, conflict=edit.panel)
