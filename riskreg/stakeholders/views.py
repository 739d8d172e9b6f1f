"""Stakeholders of a site, engagement plans, and /engagement: plans against engagements held."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import options
from riskreg.grievances.queries import department_choices
from riskreg.modeling import today
from riskreg.sites.models import Site
from riskreg.stakeholders import queries, services
from riskreg.stakeholders.forms import PlanForm, StakeholderForm


def get_site_or_404(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, f"There is no site with id {site_id}.")
    return site


@permission_required(Permission.RECORD_MONITORING)
def new_stakeholder(site_id: int):
    site = get_site_or_404(site_id)
    form = StakeholderForm()
    if form.validate_on_submit():
        try:
            stakeholder = services.create_stakeholder(site, form.values(), current_user)
            message = f"Stakeholder {stakeholder.name} added."
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
    if not form.is_submitted():
        form.year.data = today().year
        form.planned_count.data = 4
    if form.validate_on_submit():
        try:
            services.create_plan(site, form.values(), current_user)
            db.session.commit()
        except services.StakeholderError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash("Engagement plan saved.", "success")
            return redirect(url_for("sites.detail", site_id=site_id) + "#stakeholders")
    return render_template("stakeholders/plan_form.html", form=form, site=site)


@permission_required(Permission.VIEW)
def engagement():
    """Every site: plans against engagements held this year, stakeholders not engaged lately."""
    year = request.args.get("year", type=int) or today().year
    sites = list(db.session.scalars(db.select(Site).where(Site.active.is_(True)).order_by(Site.name)))
    maps = [(site, queries.engagement_map(site.id, year)) for site in sites]
    return render_template("stakeholders/engagement.html", maps=maps, year=year)
