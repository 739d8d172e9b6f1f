"""Sites: the list with ASM presence, monitoring and risks; a site's page with its ASM profile and
timeline; admin create and edit; recording observations and engagements; setting the presence."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from riskreg import audit
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.indicators import site_page
from riskreg.modeling import today
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import RiskStatus
from riskreg.risks.queries import band_counts
from riskreg.sites import engagements, monitoring, queries, services
from riskreg.sites.forms import EngagementForm, ObservationForm, PresenceForm, SiteForm
from riskreg.sites.models import AsmPresence, PresenceSource, Site

bp = Blueprint("sites", __name__, url_prefix="/sites")


@bp.get("")
@permission_required(Permission.VIEW)
def list():
    return render_template(
        "sites/list.html",
        rows=queries.site_rows(),
        stale_days=current_app.config["MONITORING_STALE_DAYS"],
    )


def get_site_or_404(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404, f"There is no site with id {site_id}.")
    return site


@bp.get("/<int:site_id>")
@permission_required(Permission.VIEW)
def detail(site_id: int):
    site = get_site_or_404(site_id)
    counts = band_counts(RiskFilters(site=site.id, status=RiskStatus.OPEN))
    last = queries.latest_observations(site.id).get(site.id)
    entries = queries.timeline(site)
    latest_observation = next((e.item for e in entries if e.kind == "observation"), None)
    return render_template(
        "sites/detail.html",
        site=site,
        counts=counts,
        events=audit.history("site", site.id),
        latest_observation=latest_observation,
        last_observed=last[0] if last else None,
        stale=queries.is_stale(site, last[0] if last else None),
        derived=monitoring.derived_presence(site),
        formalisation=queries.formalisation_support(site),
        **site_page.context(site, request.args, entries),  # indicators, and the timeline filtered
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
    if request.method == "GET":
        form.version.data = site.version
    if form.validate_on_submit():
        # The version the editor first loaded travels in the form, also through a re-render after a
        # validation error; a post without one cannot prove it saw the latest site.
        expected = form.version.data if form.version.raw_data else -1
        try:
            services.update_site(site, form.data, current_user, expected)
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


@bp.route("/<int:site_id>/observations/new", methods=["GET", "POST"])
@permission_required(Permission.RECORD_MONITORING)
def new_observation(site_id: int):
    site = get_site_or_404(site_id)
    form = ObservationForm()
    if not form.is_submitted():
        form.observed_on.data = today()
    if form.validate_on_submit():
        before = site.asm_presence
        try:
            monitoring.add_observation(site, form.values(), current_user)
            db.session.commit()
        except monitoring.MonitoringError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        except StaleDataError:  # the site's presence changed under us: nothing was saved
            db.session.rollback()
            flash("Someone else changed this site at the same moment; nothing was saved. Try again.", "error")
            site = get_site_or_404(site_id)
        else:
            message = "Observation recorded."
            if site.asm_presence is not before:
                message += f" ASM presence is now {site.asm_presence.label.lower()}."
            flash(message, "success")
            return redirect(url_for("sites.detail", site_id=site.id) + "#timeline")
    return render_template("sites/observation_form.html", form=form, site=site)


@bp.route("/<int:site_id>/engagements/new", methods=["GET", "POST"])
@permission_required(Permission.RECORD_MONITORING)
def new_engagement(site_id: int):
    site = get_site_or_404(site_id)
    form = EngagementForm()
    form.set_controls(engagements.follow_up_choices(site))
    if not form.is_submitted():
        form.held_on.data = today()
    if form.validate_on_submit():
        try:
            engagements.add_engagement(site, form.values(), current_user)
            db.session.commit()
        except monitoring.MonitoringError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash("Engagement recorded.", "success")
            return redirect(url_for("sites.detail", site_id=site.id) + "#timeline")
    return render_template("sites/engagement_form.html", form=form, site=site)


@bp.route("/<int:site_id>/presence", methods=["GET", "POST"])
@permission_required(Permission.RECORD_MONITORING)
def presence(site_id: int):
    """Set the ASM presence by hand with a reason, or go back to following the observations."""
    site = get_site_or_404(site_id)
    form = PresenceForm()
    if not form.is_submitted():
        form.source.data = site.asm_presence_source.value
        form.presence.data = site.asm_presence
        form.reason.data = site.asm_presence_reason
        form.version.data = str(site.version)
    if form.validate_on_submit() and form.version.data != str(site.version):
        flash(
            "Someone else changed this site since you opened this page; its presence is shown again "
            "as it is now.",
            "error",
        )
        return redirect(url_for("sites.presence", site_id=site_id))
    if form.validate_on_submit():
        try:
            if form.source.data == PresenceSource.MANUAL.value:
                changes = monitoring.set_presence_manually(
                    site, AsmPresence(form.presence.data), form.reason.data, current_user
                )
            else:
                changes = monitoring.follow_observations(site, current_user)
            db.session.commit()
        except monitoring.MonitoringError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        except StaleDataError:
            db.session.rollback()
            flash("Someone else changed this site at the same moment; try again.", "error")
            return redirect(url_for("sites.presence", site_id=site_id))
        else:
            flash(
                f"ASM presence: {site.asm_presence.label}." if changes else "Nothing changed.",
                "success",
            )
            return redirect(url_for("sites.detail", site_id=site.id))
    return render_template(
        "sites/presence_form.html", form=form, site=site, derived=monitoring.derived_presence(site)
    )
