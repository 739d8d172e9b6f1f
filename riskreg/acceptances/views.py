"""Acceptance pages: the request form of a risk, the approver's decision, the /acceptances register."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg import params, scoring
from riskreg.acceptances import queries, services
from riskreg.acceptances.forms import RequestForm
from riskreg.acceptances.models import Acceptance, AcceptanceState
from riskreg.auth.models import User
from riskreg.auth.permissions import Permission, permission_required, require_risk_change
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.risks.views import get_risk_or_404
from riskreg.sites.models import Site


@permission_required(Permission.EDIT_RISKS)
def request_form(risk_id: int):
    """Ask for the risk to be accepted: justification, expiry and an approver with the authority."""
    risk = get_risk_or_404(risk_id)
    require_risk_change(risk, doing="asking for its acceptance")
    ref = risk.ref
    form = RequestForm(services.approver_choices(risk, current_user))
    latest = services.latest_expiry(today())
    if form.validate_on_submit():
        try:
            services.request_acceptance(risk, form.values(), current_user)
        except services.AcceptanceError as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("Acceptance of %(ref)s requested: it stays pending until the approver decides.", ref=ref),
                "success",
            )
            return redirect(url_for("risks.detail", risk_id=risk_id))
    return render_template(
        "acceptances/request.html",
        form=form,
        risk=risk,
        latest=latest,
        authority=services.AUTHORITY_LABELS[services.required_authority(risk)],
        max_months=services.max_months(),
    )


@permission_required(Permission.APPROVE_ACCEPTANCES)
def decide(acceptance_id: int):
    """Approve or reject, with a note; refused (a message, nothing written) without the authority."""
    from riskreg.acceptances.forms import DecisionForm

    acceptance = db.session.get(Acceptance, acceptance_id)
    if acceptance is None:
        abort(404, _("There is no acceptance with id %(id)s.", id=acceptance_id))
    risk_id = acceptance.risk_id
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("; ".join(str(error) for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("risks.detail", risk_id=risk_id) + "#acceptance")
    approve = form.decision.data == "approve"
    try:
        services.decide(acceptance, approve, form.note.data or "", current_user)
    except services.AcceptanceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Acceptance approved.") if approve else _("Acceptance rejected."), "success")
    return redirect(url_for("risks.detail", risk_id=risk_id) + "#acceptance")


@permission_required(Permission.VIEW)
def list():
    filters = queries.parse_filters(request.args)
    page, per_page = params.page_args()
    pagination = queries.register_page(filters, page, per_page)
    approvers = db.session.execute(
        db.select(User.id, User.name)
        .where(User.id.in_(db.select(Acceptance.approver_id)))
        .order_by(User.name)
    ).all()
    sites = db.session.execute(db.select(Site.id, Site.name).order_by(Site.name)).all()
    return render_template(
        "acceptances/list.html",
        pagination=pagination,
        filters=filters,
        counts=queries.state_counts(filters),
        states=[state for state in AcceptanceState],
        approvers=approvers,
        sites=sites,
        bands=scoring.matrix().bands,
        band_of=services.band_of,
        explain_reason=queries.explain_reason,
        state_words=queries.STATE_WORDS,
    )
