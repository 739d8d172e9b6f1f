"""Register pages: list with filters, create, detail with history, edit with conflict merge, archive."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from riskreg import audit, params
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.indicators import panels as indicator_panels
from riskreg.risks import queries, services
from riskreg.risks.filters import parse_risk_filters
from riskreg.risks.forms import ArchiveForm, RiskForm
from riskreg.risks.models import Risk, RiskStatus
from riskreg.standards import templates as risk_templates

bp = Blueprint("risks", __name__, url_prefix="/risks")


@bp.get("")
@permission_required(Permission.VIEW)
def list():
    """The register, filtered, sorted and paginated, with counts per band."""
    filters = parse_risk_filters(request.args)
    page, per_page = params.page_args()
    register = queries.register_page(
        filters, page, per_page, after=request.args.get("after"), before=request.args.get("before")
    )
    link_args = filters.query_args()
    if per_page != current_app.config["PAGE_SIZE"]:
        link_args["per_page"] = per_page
    return render_template(
        "risks/list.html",
        register=register,
        filters=filters,
        link_args=link_args,
        form=RiskForm(formdata=None),
        flag_reasons=indicator_panels.register_flags([risk.id for risk in register.risks]),
    )


def get_risk_or_404(risk_id: int) -> Risk:
    risk = queries.risk_with_links(risk_id)
    if risk is None:
        abort(404, f"There is no risk with id {risk_id}.")
    return risk


@bp.get("/<int:risk_id>")
@permission_required(Permission.VIEW)
def detail(risk_id: int):
    from riskreg.controls.risk_views import risk_panel

    risk = get_risk_or_404(risk_id)
    return render_template(
        "risks/detail.html",
        risk=risk,
        events=audit.history("risk", risk.id),
        action_form=ActionForm(),
        archive_form=ArchiveForm(),
        **risk_panel(risk),
        **indicator_panels.risk_panel(risk),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_RISKS)
def create():
    form = RiskForm()
    # "New risk from template": ?template=A01 pre-fills the form; the hidden field keeps it on POST.
    template = risk_templates.requested_template(request.args, form.template_code.data)
    if request.method == "GET":
        form.owner_id.data = current_user.id
        form.status.data = "open"
        if template:
            risk_templates.prefill(form, template, request.args)
    if form.validate_on_submit():
        try:
            risk = services.create_risk(form.values(), actor=current_user)
        except services.RiskRuleError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Risk {risk.ref} created.", "success")
            return redirect(url_for("risks.detail", risk_id=risk.id))
    return render_template("risks/form.html", form=form, risk=None, template=template)


@bp.route("/<int:risk_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_RISKS)
def edit(risk_id: int):
    """Edit with optimistic locking: a stale version shows theirs beside yours instead of overwriting."""
    risk = get_risk_or_404(risk_id)
    if risk.status is RiskStatus.ARCHIVED:  # editing would quietly un-archive it
        abort(400, f"{risk.ref} is archived: restore it before editing it.")
    form = RiskForm(obj=risk)
    if request.method == "GET":
        form.version.data = risk.version
        form.status.data = risk.status.value
        form.requirements.data = [requirement.code for requirement in risk.requirements]
    conflict = None
    if form.validate_on_submit():
        try:
            changes = services.update_risk(risk, form.values(), current_user, form.version.data)
            db.session.commit()
        except services.RiskRuleError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        except (services.RiskConflict, StaleDataError):
            db.session.rollback()
            risk = get_risk_or_404(risk_id)
            conflict = conflict_view(risk, form)
            # Saving again now means "I have seen theirs": the form carries their version.
            form.version.data, form.version.raw_data = risk.version, [str(risk.version)]
        else:
            flash(f"{risk.ref} saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("risks.detail", risk_id=risk.id))
    return render_template("risks/form.html", form=form, risk=risk, conflict=conflict)


def conflict_view(risk: Risk, form: RiskForm) -> dict:
    """What the other person saved, field by field, where it differs from what this editor typed."""
    theirs = audit.snapshot(risk, services.EDITABLE_FIELDS)
    submitted = form.values()
    yours = {name: audit.plain(submitted[name]) for name in services.EDITABLE_FIELDS}
    last = audit.history("risk", risk.id, limit=1)
    rows = []
    for name in services.EDITABLE_FIELDS:
        if theirs[name] != yours[name]:
            field = getattr(form, name)
            rows.append(
                {
                    "name": name,
                    "label": field.label.text,
                    "theirs": display(field, theirs[name]),
                    "yours": display(field, yours[name]),
                }
            )
    return {"rows": rows, "by": last[0].actor if last else None, "at": last[0].at if last else None}


def display(field, value) -> str:
    """A stored value as the form shows it (a choice's label, not its id)."""
    if value is None or value == "":
        return "—"
    for choice in getattr(field, "choices", None) or []:
        if choice.value == str(value):
            return choice.label
    return str(value)


@bp.post("/<int:risk_id>/archive")
@permission_required(Permission.EDIT_RISKS)
def archive(risk_id: int):
    risk = get_risk_or_404(risk_id)
    form = ArchiveForm()
    if form.validate_on_submit():
        try:
            services.archive_risk(risk, current_user, form.reason.data or "")
            db.session.commit()
            flash(f"{risk.ref} archived. It stays in the register's history and can be restored.", "success")
        except services.RiskRuleError as error:
            flash(str(error), "error")
    else:
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("risks.detail", risk_id=risk.id))


@bp.post("/<int:risk_id>/restore")
@permission_required(Permission.EDIT_RISKS)
def restore(risk_id: int):
    risk = get_risk_or_404(risk_id)
    if ActionForm().validate_on_submit():
        try:
            services.restore_risk(risk, current_user)
            db.session.commit()
            flash(f"{risk.ref} restored.", "success")
        except services.RiskRuleError as error:
            flash(str(error), "error")
    return redirect(url_for("risks.detail", risk_id=risk.id))
