"""/risks/<id>/bowtie (the drawing with its table, and the editing of causes, consequences and each
control's place), /risks/<id>/bowtie.svg, and the POSTs that change them (risk managers)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from riskreg.auth.permissions import (
    Permission,
    can_manage_controls,
    permission_required,
    require_risk_change,
)
from riskreg.bowtie import drawn, queries, services
from riskreg.bowtie.forms import ItemForm, LinkForm
from riskreg.controls.models import Control, Effectiveness, Role
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.risks.models import Risk


def get_risk_or_404(risk_id: int) -> Risk:
    risk = db.session.get(Risk, risk_id)
    if risk is None:
        abort(404, _("There is no risk with id %(id)s.", id=risk_id))
    return risk


def back(risk_id: int, anchor: str = "edit-bowtie"):
    return redirect(url_for("bowtie.page", risk_id=risk_id, _anchor=anchor))


@permission_required(Permission.VIEW)
def page(risk_id: int):
    risk = get_risk_or_404(risk_id)
    tie = queries.bowtie(risk)
    manager = can_manage_controls(current_user, risk)
    return render_template(
        "bowtie/page.html",
        risk=risk,
        tie=tie,
        drawing=tie.drawing,
        svg=drawn.svg(tie, risk.id),
        manager=manager,
        item_form=ItemForm(formdata=None) if manager else None,
        action_form=ActionForm(formdata=None),
        link_form=LinkForm(formdata=None) if manager else None,
        roles=list(Role),
        effectiveness_choices=Effectiveness.choices(),
    )


@permission_required(Permission.VIEW)
def svg(risk_id: int):
    risk = get_risk_or_404(risk_id)
    drawing = queries.bowtie(risk).drawing
    body = render_template("bowtie/standalone.svg", d=drawing, uid=risk.id, standalone=True)
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{risk.ref}-bowtie.svg"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _require_manager(risk: Risk) -> None:
    require_risk_change(risk, can_manage_controls, "changing its bowtie")


@permission_required(Permission.MANAGE_CONTROLS)
def add_item(risk_id: int, kind: str):
    risk = get_risk_or_404(risk_id)
    _require_manager(risk)
    form = ItemForm()
    if not form.validate_on_submit():
        flash(
            " ".join(str(e) for errors in form.errors.values() for e in errors) or _("Nothing was sent."),
            "error",
        )
        return back(risk_id)
    ref = risk.ref
    try:
        item = services.add_item(risk, kind, form.text.data, current_user)
        text = item.text
        db.session.commit()
    except services.BowtieError as error:
        db.session.rollback()
        flash(_("%(error)s Nothing was saved.", error=error), "error")
    else:
        added = (
            _("Cause added to %(ref)s: %(text)s", ref=ref, text=text)
            if kind == "cause"
            else _("Consequence added to %(ref)s: %(text)s", ref=ref, text=text)
        )
        flash(added, "success")
    return back(risk_id)


@permission_required(Permission.MANAGE_CONTROLS)
def edit_item(risk_id: int, kind: str, item_id: int):
    risk = get_risk_or_404(risk_id)
    _require_manager(risk)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            services.edit_item(risk, kind, item_id, form.text.data, current_user)
            db.session.commit()
        except services.BowtieError as error:
            db.session.rollback()
            flash(_("%(error)s Nothing was saved.", error=error), "error")
        else:
            flash(_("Cause saved.") if kind == "cause" else _("Consequence saved."), "success")
    return back(risk_id)


@permission_required(Permission.MANAGE_CONTROLS)
def remove_item(risk_id: int, kind: str, item_id: int):
    risk = get_risk_or_404(risk_id)
    _require_manager(risk)
    if ActionForm().validate_on_submit():
        try:
            services.remove_item(risk, kind, item_id, current_user)
            db.session.commit()
        except services.BowtieError as error:
            db.session.rollback()
            flash(_("%(error)s Nothing was changed.", error=error), "error")
        else:
            removed = (
                _("Cause removed; its controls stay linked, their line not given.")
                if kind == "cause"
                else _("Consequence removed; its controls stay linked, their line not given.")
            )
            flash(removed, "success")
    return back(risk_id)


@permission_required(Permission.MANAGE_CONTROLS)
def set_link(risk_id: int, control_id: int):
    risk = get_risk_or_404(risk_id)
    _require_manager(risk)
    control = db.session.get(Control, control_id)
    if control is None:
        abort(404, _("There is no control with id %(id)s.", id=control_id))
    form = LinkForm()
    if not form.validate_on_submit():
        flash(
            " ".join(str(e) for errors in form.errors.values() for e in errors) or _("Nothing was sent."),
            "error",
        )
        return back(risk_id, "lines")
    ref = control.ref
    try:
        kind, item_id = form.parsed_line()
        role = form.role.data
        if kind is not None:
            implied = Role.PREVENTIVE if kind == "cause" else Role.MITIGATING
            if role is not None and role is not implied:
                raise services.BowtieError("line", services.role_mismatch(role))
            role = implied
        services.set_link(risk, control, role, item_id, form.effectiveness.data, current_user)
        db.session.commit()
    except (services.BowtieError, ValueError) as error:
        db.session.rollback()
        flash(_("%(ref)s: %(error)s Nothing was saved.", ref=ref, error=error), "error")
    else:
        flash(_("%(ref)s placed on the bowtie of the risk.", ref=ref), "success")
    return back(risk_id, "lines")
