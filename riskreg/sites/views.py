"""Sites: the list with ASM presence, monitoring and risks; a site's page with its ASM profile and
timeline; admin create and edit; recording observations and engagements; setting the presence."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from riskreg import audit, editing
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.indicators import site_page
from riskreg.modeling import today
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import RiskStatus
from riskreg.risks.queries import band_counts
from riskreg.sites import engagements, monitoring, presence_edit, queries, services
from riskreg.sites.forms import EngagementForm, ObservationForm, PresenceForm, SiteEditForm, SiteForm
from riskreg.sites.models import AsmPresence, PresenceSource, Site


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
        abort(404, _("There is no site with id %(id)s.", id=site_id))
    return site


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
        **stakeholder_panel(site),
    )


def stakeholder_panel(site: Site) -> dict[str, Any]:
    from riskreg.stakeholders.queries import engagement_map, grid_figure

    emap = engagement_map(site.id)
    return {
        "stakeholder_map": emap,
        "stakeholder_figure": grid_figure(emap.stakeholders),
        "stakeholder_action": ActionForm(),  # the retire, restore and delete buttons' CSRF token
    }


@permission_required(Permission.MANAGE_REFERENCE)
def create():
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = services.create_site(form.data, current_user)
            created, new_id = (
                _("Site %(name)s created.", name=site.name),
                site.id,
            )  # after the commit: no database
            db.session.commit()
        except services.SiteError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(created, "success")
            return redirect(url_for("sites.detail", site_id=new_id))
    return render_template("sites/form.html", form=form, site=None)


class SiteEdit(editing.Edit):
    """The site form's labels are lazy (translated where shown): the merge's messages join them as text."""

    def label(self, name: str) -> str:
        return str(super().label(name))


def editable(site: Site) -> dict[str, Any]:
    """The stored site as its edit form holds it."""
    return {name: getattr(site, name) for name in services.SITE_FIELDS}


@permission_required(Permission.MANAGE_REFERENCE)
def edit(site_id: int):
    """Edit with optimistic locking: a save made meanwhile is merged in field by field; only a field
    both people changed asks whose value to keep."""
    site = get_site_or_404(site_id)
    form = SiteEditForm(obj=site)
    edit = SiteEdit(form, "site", site_id, services.SITE_FIELDS)
    if request.method == "GET":
        edit.open(editable(site), site.version)
        return render_template("sites/form.html", form=form, site=site, conflict=None)
    # The version and base the editor first loaded travel in the form, also through a re-render
    # after a validation error; a post without them cannot prove it saw the latest site (400).

    def write(current: Site, values: dict[str, Any]) -> dict[str, Any]:
        changes = services.update_site(current, values, current_user, current.version)
        db.session.commit()
        return changes

    outcome = edit.post(lambda: get_site_or_404(site_id), editable, write, services.SiteError)
    if outcome.saved:
        flash(edit.message(_("Site %(name)s", name=outcome.merge.values["name"]), outcome), "success")
        return redirect(url_for("sites.detail", site_id=site_id))
    return render_template("sites/form.html", form=form, site=site, conflict=edit.panel)


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
            message = _("Observation recorded.")  # composed before the commit: after it, no database
            if site.asm_presence is not before:
                presence = site.asm_presence.label.lower()
                message = _("Observation recorded. ASM presence is now %(presence)s.", presence=presence)
            db.session.commit()
        except monitoring.MonitoringError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error))
        except StaleDataError:  # the site's presence changed under us: nothing was saved
            db.session.rollback()
            flash(
                _("Someone else changed this site at the same moment; nothing was saved. Try again."), "error"
            )
            site = get_site_or_404(site_id)
        else:
            flash(message, "success")
            return redirect(url_for("sites.detail", site_id=site_id) + "#timeline")
    return render_template("sites/observation_form.html", form=form, site=site)


@permission_required(Permission.RECORD_MONITORING)
def new_engagement(site_id: int):
    site = get_site_or_404(site_id)
    form = EngagementForm()
    form.set_controls(engagements.follow_up_choices(site))
    form.set_stakeholders(engagements.stakeholder_choices(site))
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
            flash(_("Engagement recorded."), "success")
            return redirect(url_for("sites.detail", site_id=site_id) + "#timeline")
    return render_template("sites/engagement_form.html", form=form, site=site)


@permission_required(Permission.RECORD_MONITORING)
def presence(site_id: int):
    """Set the ASM presence by hand with a reason, or go back to following the observations; a change
    saved meanwhile is merged (see sites/presence_edit.py)."""
    site = get_site_or_404(site_id)
    form = PresenceForm()
    edit = presence_edit.PresenceEdit(form, site_id)
    if not form.is_submitted():
        form.source.data = site.asm_presence_source.value
        form.presence.data = site.asm_presence
        form.reason.data = site.asm_presence_reason
        edit.open(presence_edit.stored(site), site.version)
    else:
        saved: list[str] = []

        def write(current: Site, values: dict[str, Any]) -> dict[str, Any]:
            setting = values["setting"]
            if setting["source"] == PresenceSource.MANUAL.value:
                level, reason = AsmPresence(setting["presence"]), setting["reason"]
                changes = monitoring.set_presence_manually(current, level, reason, current_user)
            else:
                changes = monitoring.follow_observations(current, current_user)
            saved.append(current.asm_presence.label)  # read before the commit: after it, no database
            db.session.commit()
            return changes

        load = partial(get_site_or_404, site_id)
        outcome = edit.post(load, presence_edit.stored, write, monitoring.MonitoringError)
        if outcome.saved:
            message = edit.message(_("ASM presence"), outcome)
            if outcome.changes:
                message = _(
                    "%(message)s It is now %(presence)s.", message=message, presence=saved[-1].lower()
                )
            flash(message, "success")
            return redirect(url_for("sites.detail", site_id=site_id))
    return render_template(
        "sites/presence_form.html",
        form=form,
        site=site,
        derived=monitoring.derived_presence(site),
        conflict=edit.panel,
    )
