"""Controls seen from a risk (/risks/<id>/...): add a new control, link or unlink an existing one,
and confirm the residual score once its controls are done. Risk managers and admins only."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg.auth.permissions import (
    Permission,
    can_manage_controls,
    permission_required,
    require_risk_change,
)
from riskreg.controls import queries, services
from riskreg.controls.forms import ControlForm, LinkControlForm, control_menus
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk
from riskreg.risks.queries import risk_with_links


def risk_panel(risk: Risk) -> dict[str, Any]:
    """What the risk page's controls section needs (the view of risks/detail passes it on).

    The blank "Add a new control" form is the same for every risk of a language and a set of
    menus: the page keeps its fields rendered (riskreg.fragments) keyed by the menus, and makes the
    form (`new_control_form`) only to render them the first time."""
    if not can_manage_controls(current_user, risk):
        return {"control_menus": None, "link_form": None, **_panel_facts(risk)}
    menus = control_menus()
    return {
        "control_menus": menus,
        "new_control_form": lambda: ControlForm(formdata=None, menus=menus),
        "link_form": LinkControlForm(formdata=None),
        **_panel_facts(risk),
    }


def _panel_facts(risk: Risk) -> dict[str, Any]:
    return {"residual_review_due": services.residual_review_due(risk), "controls_today": today()}


def get_risk_or_404(risk_id: int) -> Risk:
    risk = risk_with_links(risk_id)
    if risk is None:
        abort(404, _("There is no risk with id %(id)s.", id=risk_id))
    return risk


def to_controls(risk_id: int):
    """Back to the risk's controls, where the message of what was done is shown (see `placed`)."""
    return redirect(url_for("risks.detail", risk_id=risk_id, _anchor="controls"))


def placed(category: str) -> str:
    """A flash shown in the risk page's controls section, in view after the jump to #controls,
    instead of at the top of the page (base.html leaves out categories with a place)."""
    return f"{category}:controls"


def require_controls_change(risk: Risk) -> None:
    require_risk_change(risk, can_manage_controls, "changing its controls")


@permission_required(Permission.MANAGE_CONTROLS)
def create(risk_id: int):
    """A new control for this risk, assigned to a department (owner: its head unless chosen)."""
    risk = get_risk_or_404(risk_id)
    require_controls_change(risk)
    form = ControlForm()
    if request.method == "GET":
        # Pre-filled from the query string, e.g. a template's suggested control.
        form.title.data = request.args.get("title", "")[:200]
        form.department_id.data = request.args.get("department_id", type=int)
    if form.validate_on_submit():
        try:
            control = services.create_control(form.values(), current_user, risks=[risk])
            created = _(
                "Control %(control)s created for %(risk)s and assigned to its department.",
                control=control.ref,
                risk=risk.ref,
            )
            db.session.commit()  # after it, the view must not touch the database
        except services.ControlRuleError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(created, placed("success"))
            return to_controls(risk_id)
    return render_template("controls/form.html", form=form, control=None, risk=risk)


@permission_required(Permission.MANAGE_CONTROLS)
def link(risk_id: int):
    risk = get_risk_or_404(risk_id)
    require_controls_change(risk)
    form = LinkControlForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), placed("error"))
        return to_controls(risk_id)
    control = queries.control_by_ref(form.control_ref.data)
    if control is None:
        flash(
            _("There is no control %(ref)s. Refs look like C-0012.", ref=form.control_ref.data.strip()),
            placed("error"),
        )
        return to_controls(risk_id)
    # Read before the commit: after it, the view must not touch the database.
    linked = _("%(control)s now also mitigates %(risk)s.", control=control.ref, risk=risk.ref)
    try:
        services.link_control(control, risk, current_user)
        db.session.commit()
    except services.ControlRuleError as error:
        db.session.rollback()
        flash(str(error), placed("error"))
    else:
        flash(linked, placed("success"))
    return to_controls(risk_id)


@permission_required(Permission.MANAGE_CONTROLS)
def unlink(risk_id: int, control_id: int):
    """GET asks (a page of its own: it works without scripts); the POST from that page unlinks.
    A POST without the confirmation goes to the question instead of unlinking."""
    risk = get_risk_or_404(risk_id)
    require_controls_change(risk)
    control = queries.control_with_links(control_id)
    if control is None:
        abort(404, _("There is no control with id %(id)s.", id=control_id))
    if control not in risk.controls:
        flash(
            _(
                "%(control)s does not mitigate %(risk)s: there is nothing to unlink.",
                control=control.ref,
                risk=risk.ref,
            ),
            placed("error"),
        )
        return to_controls(risk_id)
    form = ActionForm()
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("controls/unlink.html", risk=risk, control=control, form=form)
    unlinked = _(
        "%(control)s no longer mitigates %(risk)s. The control itself is kept.",
        control=control.ref,
        risk=risk.ref,
    )
    if form.validate_on_submit():
        try:
            services.unlink_control(control, risk, current_user)
            db.session.commit()
        except services.ControlRuleError as error:
            db.session.rollback()
            flash(str(error), placed("error"))
        else:
            flash(unlinked, placed("success"))
    return to_controls(risk_id)


@permission_required(Permission.EDIT_RISKS)
def confirm_residual(risk_id: int):
    """The risk manager looked at the residual score after the controls closed and keeps it."""
    risk = get_risk_or_404(risk_id)
    require_risk_change(risk, doing="confirming its residual score")
    ref = risk.ref  # after the commit the view must not touch the database
    if ActionForm().validate_on_submit():
        risk_services.confirm_residual(risk, current_user)
        db.session.commit()
        flash(
            _(
                "Residual score of %(ref)s confirmed. To change it instead, edit the risk's residual scores.",
                ref=ref,
            ),
            "success",
        )
    return redirect(url_for("risks.detail", risk_id=risk_id))
