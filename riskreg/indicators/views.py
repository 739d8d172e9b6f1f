"""Indicator pages: the list, one indicator (chart, links, triggers), thresholds and owner (admins),
links by hand (risk managers), and "reviewed, no change" on a flagged risk (its owner or a risk manager)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg import audit
from riskreg.auth.models import User
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.indicators import charts, compute, queries, services, tuning, words
from riskreg.indicators.forms import LinkForm, ThresholdForm
from riskreg.indicators.models import SiteIndicator
from riskreg.modeling import today


@permission_required(Permission.VIEW)
def list_indicators():
    site_id, status = queries.parse_list_args(request.args)
    return render_template(
        "indicators/list.html",
        rows=queries.indicator_rows(site_id, status),
        gaps=queries.gaps(site_id),
        site_id=site_id,
        status=status,
        threshold_words=words.threshold_words,
    )


def get_indicator_or_404(indicator_id: int) -> SiteIndicator:
    indicator = queries.get_indicator(indicator_id)
    if indicator is None:
        abort(404, _("There is no indicator with id %(id)s.", id=indicator_id))
    return indicator


def _link_choices(indicator: SiteIndicator, linked: set[int]) -> list[tuple[int, str]]:
    from riskreg.risks.models import Risk, RiskStatus

    rows = db.session.execute(
        sa.select(Risk.id, Risk.ref, Risk.title)
        .where(Risk.site_id == indicator.site_id, Risk.status != RiskStatus.ARCHIVED)
        .order_by(Risk.id)
    )
    return [(rid, f"{ref} {title}") for rid, ref, title in rows if rid not in linked]


@permission_required(Permission.VIEW)
def detail(indicator_id: int, link_form: LinkForm | None = None):
    indicator = get_indicator_or_404(indicator_id)
    d = indicator.definition
    on = today()
    days = queries.chart_days(on)
    facts = services.load_facts([indicator.site_id], [d], on, extra_days=18 * 31)
    values = compute.series(d.kind, d.window_days, facts[indicator.site_id], days)
    linked = services.linked_risks([indicator])[indicator.id]
    by_hand = queries.hand_linked(indicator)
    link_form = link_form or LinkForm()
    link_form.risk_id.set_choices(_link_choices(indicator, {r.id for r in linked}))
    return render_template(
        "indicators/detail.html",
        indicator=indicator,
        figure=charts.figure(
            translate(d.label), translate(d.unit), days, values, indicator.amber, indicator.red, d.worse.value
        ),
        linked=linked,
        by_hand=by_hand,
        triggers=queries.triggers_of([indicator.id]),
        events=audit.history("site_indicator", indicator.id),
        link_form=link_form,
        action_form=ActionForm(),
        threshold_words=words.threshold_words,
    )


@permission_required(Permission.MANAGE_REFERENCE)
def edit(indicator_id: int):
    indicator = get_indicator_or_404(indicator_id)
    form = ThresholdForm(obj=indicator if request.method == "GET" else None)
    people = db.session.execute(
        sa.select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
    )
    form.owner_id.set_choices(list(people))
    if request.method == "GET":
        form.amber.data, form.red.data = compute.fmt(indicator.amber), compute.fmt(indicator.red)
        form.version.data = str(indicator.version)
    if form.validate_on_submit():
        try:
            version = int(form.version.data or -1)
            changes = tuning.update_indicator(indicator, form.data, current_user, version)
            db.session.commit()
        except (services.IndicatorError, ValueError) as error:
            db.session.rollback()
            indicator = get_indicator_or_404(indicator_id)  # the rollback expired it
            field = getattr(error, "field", "version")
            getattr(form, field if field in form else "red").errors.append(str(error))
        else:
            flash(_("Indicator saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("indicators.detail", indicator_id=indicator_id))
    return render_template("indicators/form.html", form=form, indicator=indicator)


@permission_required(Permission.EDIT_RISKS)
def link(indicator_id: int):
    from riskreg.risks.models import Risk

    indicator = get_indicator_or_404(indicator_id)
    form = LinkForm()
    raw = request.form.get("risk_id", "")
    risk = db.session.get(Risk, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    try:
        tuning.link_risk(indicator, risk, current_user)
        message = _("%(ref)s linked to %(indicator)s.", ref=risk.ref, indicator=translate(indicator.label))
        db.session.commit()
    except services.IndicatorError as error:
        db.session.rollback()
        flash(str(error), "error")
        form.risk_id.errors = [str(error)]
        return detail(indicator_id, link_form=form)  # the page again, the message by the field
    flash(message, "success")
    return redirect(url_for("indicators.detail", indicator_id=indicator_id))


@permission_required(Permission.EDIT_RISKS)
def unlink(indicator_id: int, risk_id: int):
    from riskreg.risks.models import Risk

    indicator = get_indicator_or_404(indicator_id)
    risk = db.session.get(Risk, risk_id)
    if risk is None:
        abort(404, _("There is no risk with id %(id)s.", id=risk_id))
    if ActionForm().validate_on_submit():
        try:
            tuning.unlink_risk(indicator, risk, current_user)
            db.session.commit()
            flash(_("%(ref)s unlinked.", ref=risk.ref), "success")
        except services.IndicatorError as error:
            db.session.rollback()
            flash(str(error), "error")
    return redirect(url_for("indicators.detail", indicator_id=indicator_id))
