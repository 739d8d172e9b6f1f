"""Stakeholders of a site, engagement plans, and /engagement: plans against engagements held."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm, options
from riskreg.grievances.queries import department_choices
from riskreg.grievances.views import Edit  # lazy form labels as text in the merge messages
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.sites.models import Site
from riskreg.stakeholders import queries, services
from riskreg.stakeholders.forms import PlanEditForm, PlanForm, StakeholderEditForm, StakeholderForm
from riskreg.stakeholders.models import EngagementPlan, Stakeholder


def get_site_or_404(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, _("There is no site with id %(id)s.", id=site_id))
    return site


@permission_required(Permission.RECORD_MONITORING)
def new_stakeholder(site_id: int):
    site = get_site_or_404(site_id)
    form = StakeholderForm()
    if form.validate_on_submit():
        try:
            stakeholder = services.create_stakeholder(site, form.values(), current_user)
            message = _("Stakeholder %(name)s added.", name=stakeholder.name)
            db.session.commit()
        except services.StakeholderError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(message, "success")
            return redirect(url_for("sites.detail", site_id=site_id) + "#stakeholders")
    return render_template("stakeholders/form.html", form=form, site=site)


@permission_required(Permission.RECORD_MONITORING)
def new_plan(site_id: int):
    site = get_site_or_404(site_id)
    form = PlanForm()
    form.stakeholder_id.set_choices(queries.plan_choices(site.id))
    form.owner_department_id.set_choices(department_choices())
    form.risk_ids.choices = options(services.risk_choices(site))
    form.requirement_ids.choices = options(services.requirement_choices())
    if not form.is_submitted():
        form.year.data = today().year
        form.planned_count.data = 4
        form.requirement_ids.data = services.default_requirement_ids()
    if form.validate_on_submit():
        try:
            services.create_plan(site, form.values(), current_user)
            db.session.commit()
        except services.StakeholderError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(_("Engagement plan saved."), "success")
            return redirect(url_for("sites.detail", site_id=site_id) + "#stakeholders")
    return render_template("stakeholders/plan_form.html", form=form, site=site)


def back_to(site_id: int):
    return redirect(url_for("sites.detail", site_id=site_id) + "#stakeholders")


def get_stakeholder_or_404(stakeholder_id: int) -> Stakeholder:
    stakeholder = db.session.get(Stakeholder, stakeholder_id)
    if stakeholder is None:
        abort(404, _("There is no stakeholder with id %(id)s.", id=stakeholder_id))
    return stakeholder


def get_plan_or_404(plan_id: int) -> EngagementPlan:
    plan = db.session.get(EngagementPlan, plan_id)
    if plan is None:
        abort(404, _("There is no engagement plan with id %(id)s.", id=plan_id))
    return plan


def stakeholder_values(stakeholder: Stakeholder) -> dict:
    return {name: getattr(stakeholder, name) for name in services.STAKEHOLDER_FIELDS}


@permission_required(Permission.RECORD_MONITORING)
def edit_stakeholder(stakeholder_id: int):
    """Change a stakeholder with optimistic locking: a save made meanwhile is merged."""
    stakeholder = get_stakeholder_or_404(stakeholder_id)
    if not stakeholder.active:
        abort(400, _("%(name)s is retired: restore it before editing it.", name=stakeholder.name))
    site = get_site_or_404(stakeholder.site_id)
    form = StakeholderEditForm(obj=stakeholder)
    edit = Edit(form, services.STAKEHOLDER_ENTITY, stakeholder_id, services.STAKEHOLDER_FIELDS)
    if request.method == "GET":
        edit.open(stakeholder_values(stakeholder), stakeholder.version)
        return render_template(
            "stakeholders/edit.html", form=form, stakeholder=stakeholder, site=site, conflict=None
        )

    def write(current: Stakeholder, values: dict) -> dict:
        changes = services.update_stakeholder(current, values, current_user)
        db.session.commit()
        return changes

    name, site_id = stakeholder.name, site.id  # after the commit the view must not touch the database
    outcome = edit.post(
        lambda: get_stakeholder_or_404(stakeholder_id), stakeholder_values, write, services.StakeholderError
    )
    if outcome.saved:
        flash(edit.message(_("Stakeholder %(name)s", name=name), outcome), "success")
        return back_to(site_id)
    return render_template(
        "stakeholders/edit.html", form=form, stakeholder=stakeholder, site=site, conflict=edit.panel
    )


def _post_action(do, site_id: int, done: str):
    """A retire / restore / delete button's post: CSRF-checked, the rule's refusal flashed."""
    if not ActionForm().validate_on_submit():
        abort(400, _("This form has expired: reload the page and try again."))
    try:
        changes = do()
        db.session.commit()
    except services.StakeholderError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(done if changes else _("Nothing changed."), "success")
    return back_to(site_id)


@permission_required(Permission.RECORD_MONITORING)
def retire_stakeholder(stakeholder_id: int):
    stakeholder = get_stakeholder_or_404(stakeholder_id)
    site_id, name = stakeholder.site_id, stakeholder.name
    return _post_action(
        lambda: services.set_stakeholder_active(stakeholder, False, current_user),
        site_id,
        _(
            "%(name)s retired: off the map and the pickers, kept on past engagements and grievances.",
            name=name,
        ),
    )


@permission_required(Permission.RECORD_MONITORING)
def restore_stakeholder(stakeholder_id: int):
    stakeholder = get_stakeholder_or_404(stakeholder_id)
    site_id, name = stakeholder.site_id, stakeholder.name
    return _post_action(
        lambda: services.set_stakeholder_active(stakeholder, True, current_user),
        site_id,
        _("%(name)s restored.", name=name),
    )


@permission_required(Permission.RECORD_MONITORING)
def edit_plan(plan_id: int):
    """Change a plan's numbers, texts and links with optimistic locking."""
    plan = get_plan_or_404(plan_id)
    if not plan.active:
        abort(400, _("This engagement plan is retired: restore it before editing it."))
    site = get_site_or_404(plan.site_id)
    stakeholder = get_stakeholder_or_404(plan.stakeholder_id)
    form = PlanEditForm(obj=plan) if request.method == "GET" else PlanEditForm()
    form.owner_department_id.set_choices(department_choices())
    current = services.plan_values(plan)
    risks = dict(services.risk_choices(site))
    form.risk_ids.choices = options(
        [*risks.items(), *((r, _("#%(id)s (archived)", id=r)) for r in current["risk_ids"] if r not in risks)]
    )
    form.requirement_ids.choices = options(services.requirement_choices())
    edit = Edit(form, services.PLAN_ENTITY, plan_id, services.PLAN_EDIT_FIELDS, thing="plan")
    page = {"form": form, "plan": plan, "site": site, "stakeholder": stakeholder, "conflict": None}
    name, site_id = stakeholder.name, site.id
    if request.method == "GET":
        form.risk_ids.data, form.requirement_ids.data = current["risk_ids"], current["requirement_ids"]
        edit.open(current, plan.version)
        return render_template("stakeholders/plan_edit.html", **page)

    def write(record: EngagementPlan, values: dict) -> dict:
        changes = services.update_plan(record, site, values, current_user)
        db.session.commit()
        return changes

    outcome = edit.post(
        lambda: get_plan_or_404(plan_id), services.plan_values, write, services.StakeholderError
    )
    if outcome.saved:
        flash(edit.message(_("The plan with %(name)s", name=name), outcome), "success")
        return back_to(site_id)
    return render_template("stakeholders/plan_edit.html", **page | {"conflict": edit.panel})


@permission_required(Permission.RECORD_MONITORING)
def retire_plan(plan_id: int):
    plan = get_plan_or_404(plan_id)
    return _post_action(
        lambda: services.set_plan_active(plan, False, current_user),
        plan.site_id,
        _("Engagement plan retired: no longer counted as planned; kept in the history."),
    )


@permission_required(Permission.RECORD_MONITORING)
def restore_plan(plan_id: int):
    plan = get_plan_or_404(plan_id)
    return _post_action(
        lambda: services.set_plan_active(plan, True, current_user),
        plan.site_id,
        _("Engagement plan restored."),
    )


@permission_required(Permission.RECORD_MONITORING)
def delete_plan(plan_id: int):
    plan = get_plan_or_404(plan_id)
    return _post_action(
        lambda: services.delete_plan(plan, current_user), plan.site_id, _("Engagement plan deleted.")
    )


@permission_required(Permission.VIEW)
def engagement():
    """Every site: plans against engagements held this year, stakeholders not engaged lately."""
    year = request.args.get("year", type=int) or today().year
    sites = list(db.session.scalars(db.select(Site).where(Site.active.is_(True)).order_by(Site.name)))
    maps = [(site, queries.engagement_map(site.id, year)) for site in sites]
    return render_template("stakeholders/engagement.html", maps=maps, year=year)
