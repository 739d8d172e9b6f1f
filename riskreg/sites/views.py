"""Sites: the list with each site's ASM presence and risks, a site's page, admin create and edit."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from riskreg import audit
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.risks.filters import RiskFilters
from riskreg.risks.queries import band_counts
from riskreg.sites import services
from riskreg.sites.forms import SiteForm
from riskreg.sites.models import Site

bp = Blueprint("sites", __name__, url_prefix="/sites")


@bp.get("")
@permission_required(Permission.VIEW)
def list():
    sites = db.session.scalars(sa.select(Site).order_by(Site.name)).all()
    return render_template("sites/list.html", sites=sites)


def get_site_or_404(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, f"There is no site with id {site_id}.")
    return site


@bp.get("/<int:site_id>")
@permission_required(Permission.VIEW)
def detail(site_id: int):
    site = get_site_or_404(site_id)
    counts = band_counts(RiskFilters(site=site.id))
    return render_template(
        "sites/detail.html", site=site, counts=counts, events=audit.history("site", site.id)
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def create():
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = services.create_site(form.data, current_user)
            db.session.commit()
        except services.SiteError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(f"Site {site.name} created.", "success")
            return redirect(url_for("sites.detail", site_id=site.id))
    return render_template("sites/form.html", form=form, site=None)


@bp.route("/<int:site_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def edit(site_id: int):
    site = get_site_or_404(site_id)
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        try:
            services.update_site(site, form.data, current_user, form.version.data)
            db.session.commit()
        except services.SiteError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        except (services.SiteConflict, StaleDataError):
            db.session.rollback()
            flash(
                "Someone else saved this site since you opened it. Their version is shown; "
                "make your change again.",
                "error",
            )
            return redirect(url_for("sites.edit", site_id=site_id))
        else:
            flash(f"Site {site.name} saved.", "success")
            return redirect(url_for("sites.detail", site_id=site.id))
    return render_template("sites/form.html", form=form, site=site)
