"""Register pages: list with filters, create, detail with history, edit with a three-way merge, archive."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg import audit, editing, labels, params, scoring
from riskreg.acceptances import queries as acceptance_queries
from riskreg.auth.permissions import Permission, permission_required, require_risk_change
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.indicators import panels as indicator_panels
from riskreg.reviews import panels as review_panels
from riskreg.reviews import services as reviews
from riskreg.risks import columns as register_columns
from riskreg.risks import preview, queries, services
from riskreg.risks.columns import parse_columns
from riskreg.risks.filters import parse_risk_filters
from riskreg.risks.forms import ArchiveForm, FilterChoices, RiskEditForm, RiskForm
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.savedviews import apply as saved_views
from riskreg.standards import templates as risk_templates


@permission_required(Permission.VIEW)
def list():
    """The register, filtered, sorted and paginated, with counts per band."""
    args, view = saved_views.page_args("register")  # no parameters: the user's default view
    filters = parse_risk_filters(args)
    columns = parse_columns(args)
    page, per_page = params.page_args()
    register = queries.register_page(
        filters, page, per_page, after=args.get("after"), before=args.get("before")
    )
    column_args = register_columns.column_args(columns)
    link_args = filters.query_args() | column_args
    if per_page != current_app.config["PAGE_SIZE"]:
        link_args["per_page"] = per_page
    return render_template(
        "risks/list.html",
        register=register,
        filters=filters,
        columns=columns,
        column_labels=register_columns.labels(),
        column_args=column_args,
        link_args=link_args,
        **saved_views.panel("register", view, args),
        form=FilterChoices.load(),  # the menus only: a whole RiskForm would load the catalogue
        # each direction's and status's label looked up once for the rows, not once per row
        direction_labels=labels.enum_labels(Direction),
        status_labels=labels.enum_labels(RiskStatus),
        flag_reasons=indicator_panels.register_flags([risk.id for risk in register.risks]),
        risk_marks=acceptance_queries.register_marks(register.risks),
    )


def get_risk_or_404(risk_id: int) -> Risk:
    risk = queries.risk_with_links(risk_id)
    if risk is None:
        not_found(risk_id)
    return risk


def not_found(risk_id: int) -> NoReturn:
    abort(404, _("There is no risk with id %(id)s.", id=risk_id))


@permission_required(Permission.VIEW)
def detail(risk_id: int):
    from riskreg.comments import views as comment_views
    from riskreg.controls.risk_views import risk_panel
    from riskreg.grievances.queries import grievances_of_risk

    found = queries.risk_page(risk_id)
    if found is None:
        not_found(risk_id)
    risk, listed = found  # a list its row says is empty is not queried
    return render_template(
        "risks/detail.html",
        risk=risk,
        events=audit.history("risk", risk.id),
        action_form=ActionForm(),
        archive_form=ArchiveForm(),
        **risk_panel(risk),
        **indicator_panels.risk_panel(risk, listed),
        **review_panels.risk_panel(risk, listed),
        **acceptance_queries.risk_panel(risk, listed),
        linked_grievances=grievances_of_risk(risk.id) if listed.grievances else [],
        **comment_views.panel("risk", risk.id, listed.comments),
    )


@permission_required(Permission.EDIT_RISKS)
def pick_template():
    """ "New risk from template": a compact, searchable list that opens the pre-filled form. The
    filters are a plain GET form, so it works without scripts."""
    query = request.args.get("q", "").strip()[:200]
    direction = request.args.get("direction", "").strip()
    category = request.args.get("category", "").strip()
    site = request.args.get("site", "").strip()
    categories = risk_templates.template_categories()
    problems = []
    if direction and direction not in {d.value for d in Direction}:
        problems.append(_("There is no direction %(value)s: showing every direction.", value=repr(direction)))
        direction = ""
    if category and category not in categories:
        problems.append(
            _("There is no template category %(value)s: showing every category.", value=repr(category))
        )
        category = ""
    if site and not site.isdigit():
        problems.append(
            _("'site' must be a site id, not %(value)s: the site is left to choose.", value=repr(site))
        )
        site = ""
    page = render_template(
        "risks/pick_template.html",
        found=risk_templates.pick(query, direction, category),
        total=len(risk_templates.all_templates()),
        query=query,
        direction=direction,
        category=category,
        site=site,
        directions=[*Direction],  # (`list` is the register view here)
        categories=categories,
        problems=problems,
    )
    return page, 400 if problems else 200


def form_page(form: RiskForm, **context: Any) -> str:
    """The risk form with each score's band beside its choices and the matrix for the live preview."""
    matrix = scoring.matrix()
    return render_template(
        "risks/form.html",
        form=form,
        previews=preview.previews(form, matrix),
        matrix_data=preview.matrix_data(matrix),
        **context,
    )


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
            ref, new_id = risk.ref, risk.id  # after the commit the view must not touch the database
            db.session.commit()
            flash(_("Risk %(ref)s created.", ref=ref), "success")
            return redirect(url_for("risks.detail", risk_id=new_id))
    return form_page(form, risk=None, template=template)


# What the edit form's three-way merge covers: every editable field and the requirement links.
MERGED_FIELDS = (*services.EDITABLE_FIELDS, "requirements")


def editable(risk: Risk) -> dict[str, Any]:
    """The stored risk as its edit form holds it."""
    values = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    values["requirements"] = sorted(requirement.code for requirement in risk.requirements)
    return values


@permission_required(Permission.EDIT_RISKS)
def edit(risk_id: int):
    """Edit with optimistic locking: a save made meanwhile is merged in field by field; only a field
    both people changed asks whose value to keep."""
    risk = get_risk_or_404(risk_id)
    require_risk_change(risk, doing="editing it")  # editing would quietly un-archive it
    ref = risk.ref  # read before the commit: after it, the view must not touch the database
    form = RiskEditForm(obj=risk)
    edit = editing.Edit(form, "risk", risk_id, MERGED_FIELDS)
    if request.method == "GET":
        stored = editable(risk)
        form.status.data = risk.status.value
        form.requirements.data = stored["requirements"]
        edit.open(stored, risk.version)
        return form_page(form, risk=risk, conflict=None)

    reassess = request.args.get("reassess") == "1"  # opened with "Reassess": the save is a review

    def write(current: Risk, values: dict[str, Any]) -> dict[str, Any]:
        data = {**form.values(), **values}
        changes = services.update_risk(current, data, current_user, current.version)
        if reassess:
            reviews.reassessed_through_form(current, changes, current_user)
        db.session.commit()
        return changes

    outcome = edit.post(lambda: get_risk_or_404(risk_id), editable, write, services.RiskRuleError)
    if outcome.saved:
        flash(edit.message(ref, outcome), "success")
        if reassess:
            flash(_("%(ref)s: the reassessment is recorded as a review.", ref=ref), "success")
        return redirect(url_for("risks.detail", risk_id=risk_id))
    return form_page(form, risk=risk, conflict=edit.panel)


@permission_required(Permission.EDIT_RISKS)
def archive(risk_id: int):
    risk = get_risk_or_404(risk_id)
    ref = risk.ref  # after the commit the view must not touch the database
    form = ArchiveForm()
    if form.validate_on_submit():
        try:
            services.archive_risk(risk, current_user, form.reason.data or "")
            db.session.commit()
            flash(
                _("%(ref)s archived. It stays in the register's history and can be restored.", ref=ref),
                "success",
            )
        except services.RiskRuleError as error:
            flash(str(error), "error")
    else:
        flash("; ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("risks.detail", risk_id=risk_id))


@permission_required(Permission.EDIT_RISKS)
def restore(risk_id: int):
    risk = get_risk_or_404(risk_id)
    ref = risk.ref  # after the commit the view must not touch the database
    if ActionForm().validate_on_submit():
        try:
            services.restore_risk(risk, current_user)
            db.session.commit()
            flash(_("%(ref)s restored.", ref=ref), "success")
        except services.RiskRuleError as error:
            flash(str(error), "error")
    return redirect(url_for("risks.detail", risk_id=risk_id))
