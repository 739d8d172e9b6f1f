"""Standards pages: coverage by site, a requirement's evidence, the company's frameworks, the risk
templates, requirement links of controls, and one-click creation of a template's suggested controls."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import BadRequest

from riskreg import editing
from riskreg.auth.permissions import Permission, can_manage_controls, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.params import is_digits
from riskreg.risks.models import Direction
from riskreg.risks.queries import risk_with_links
from riskreg.standards import coverage, links, settings
from riskreg.standards import templates as risk_templates
from riskreg.standards.evidence import requirement_evidence
from riskreg.standards.forms import ControlRequirementsForm, FrameworksForm, SuggestedControlForm
from riskreg.standards.models import Requirement


@permission_required(Permission.VIEW)
def index():
    """Coverage of the company's frameworks (or ?framework=KEY) by site."""
    available = settings.available_frameworks()
    company = chosen = settings.selected_framework_keys(available)
    only = (request.args.get("framework") or "").strip()
    if only:
        try:
            chosen = settings.check_framework_keys([only], available)
        except settings.SettingsError as error:
            raise BadRequest(str(error)) from error
    matrix = coverage.coverage_matrix(chosen)
    return render_template(
        "standards/index.html", matrix=matrix, available=available, chosen=chosen, company=company, only=only
    )


@permission_required(Permission.VIEW)
def requirement(requirement_id: int):
    item = db.session.get(Requirement, requirement_id)
    if item is None:
        abort(404, _("There is no requirement with id %(id)s.", id=requirement_id))
    return render_template("standards/requirement.html", requirement=item, columns=requirement_evidence(item))


@permission_required(Permission.MANAGE_REFERENCE)
def edit_settings():
    available = settings.available_frameworks()
    form = FrameworksForm()
    form.set_frameworks(available)
    if request.method == "GET":
        form.frameworks.data = settings.selected_framework_keys(available)
    if form.validate_on_submit():
        try:
            changes = settings.save_frameworks(form.frameworks.data, current_user)
        except settings.SettingsError as error:
            db.session.rollback()
            form.frameworks.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Frameworks saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("standards.index"))
    return render_template("standards/settings.html", form=form, available=available)


@permission_required(Permission.VIEW)
def templates():
    """The risk templates by direction, each with a link that opens a pre-filled risk form."""
    site = (request.args.get("site") or "").strip()
    if site and not is_digits(site):
        raise BadRequest(_("'site' must be a site id, not %(site)s.", site=repr(site)))
    grouped = {direction: [] for direction in Direction}
    for item in risk_templates.all_templates():
        grouped[Direction(item["direction"])].append(item)
    return render_template("standards/templates.html", grouped=grouped, site=site)


def _control_or_404(control_id: int) -> Any:
    from riskreg.controls.models import Control

    control = db.session.scalar(
        sa.select(Control)
        .where(Control.id == control_id)
        .options(selectinload(Control.department), selectinload(Control.risks))
    )
    if control is None:
        abort(404, _("There is no control with id %(id)s.", id=control_id))
    return control


@permission_required(Permission.MANAGE_CONTROLS)
def control_requirements(control_id: int):
    """Link a control to the requirements it gives evidence for (replaces the set; audited)."""
    control = _control_or_404(control_id)
    back = (
        url_for("risks.detail", risk_id=control.risks[0].id) if control.risks else url_for("standards.index")
    )
    ref = control.ref  # read before the commit: after it, the view must not touch the database
    form = ControlRequirementsForm()
    edit = editing.Edit(form, "control", control_id, ("requirements",), salt="control-requirements")
    if request.method == "GET":
        form.requirements.data = links.linked_codes("control", control.id)
        edit.open(_linked(control), control.version)
        return render_template("standards/control_requirements.html", control=control, form=form)

    def write(current: Any, values: dict[str, Any]) -> dict[str, Any]:
        change = links.set_control_requirements(current, values["requirements"], current_user)
        db.session.commit()
        return {"requirements": change} if change else {}

    # Someone may change the control (or its links) meanwhile: their change is merged in.
    outcome = edit.post(lambda: _control_or_404(control_id), _linked, write, links.LinkError)
    if outcome.saved:
        flash(edit.message(_("Requirements of %(ref)s", ref=ref), outcome), "success")
        return redirect(back)
    return render_template(
        "standards/control_requirements.html", control=control, form=form, conflict=edit.panel
    )


def _linked(control: Any) -> dict[str, Any]:
    return {"requirements": links.linked_codes("control", control.id)}


@permission_required(Permission.MANAGE_CONTROLS)
def create_suggested_control(risk_id: int):
    """Create suggestion number N of the risk's template as a planned control, with the due date
    (and the owner, where its department has no head) given on the risk's page; without them, a
    small form asks for them and nothing is created."""
    risk = risk_with_links(risk_id)
    if risk is None:
        abort(404, _("There is no risk with id %(id)s.", id=risk_id))
    target = url_for("risks.detail", risk_id=risk.id) + "#suggested-controls"
    form = SuggestedControlForm()
    raw = (form.number.data or "").strip()
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; reload the page and try again."), "error")
        return redirect(target)
    if not can_manage_controls(current_user, risk):  # the role is checked above: the risk is archived
        flash(_("%(ref)s is archived: restore it before adding controls.", ref=risk.ref), "error")
        return redirect(target)
    if not is_digits(raw) or len(raw) > 3:
        flash(_("Choose one of the suggested controls."), "error")
        return redirect(target)
    try:
        item = risk_templates.suggestion(risk, int(raw))
    except risk_templates.SuggestionError as error:
        flash(str(error), "error")
        return redirect(target)
    offered = risk_templates.suggestions_for(risk)[int(raw) - 1]
    form.set_owners(offered.head, offered.owners)
    if form.validate():
        try:
            control = risk_templates.create_suggested_control(
                risk, item, current_user, form.due_date.data, form.owner_id.data
            )
        except risk_templates.SuggestionError as error:
            db.session.rollback()
            if error.field not in ("due_date", "owner_id"):
                flash(str(error), "error")
                return redirect(target)
            getattr(form, error.field).errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Control %(ref)s “%(title)s” created for %(risk)s.",
                    ref=control.ref,
                    title=translate(control.title),
                    risk=risk.ref,
                ),
                "success",
            )
            return redirect(target)
    return render_template("standards/suggested_control.html", risk=risk, suggestion=offered, form=form)
