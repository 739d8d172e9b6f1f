"""/webhooks (admins): endpoints, their delivery log, a test event, and the SSRF setting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.webhooks import delivery, services
from riskreg.webhooks.forms import EndpointForm, SettingsForm
from riskreg.webhooks.models import WebhookDelivery, WebhookEndpoint

LOG_LIMIT = 100


def _list_page(form: EndpointForm | None = None):
    endpoints = list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    settings = SettingsForm(formdata=None, allow_private=delivery.allow_private())
    return render_template(
        "webhooks/list.html", endpoints=endpoints, form=form or EndpointForm(formdata=None), settings=settings
    )


@permission_required(Permission.MANAGE_REFERENCE)
def index():
    return _list_page()


@permission_required(Permission.MANAGE_REFERENCE)
def create():
    form = EndpointForm()
    if not form.validate_on_submit():
        return _list_page(form)
    try:
        endpoint = services.create_endpoint(
            form.url.data, form.events.data, form.description.data, current_user
        )
    except delivery.WebhookError as error:
        db.session.rollback()
        getattr(form, error.field).errors.append(str(error))
        return _list_page(form)
    endpoint_id = endpoint.id
    db.session.commit()
    flash(_("Endpoint added. Give its signing secret to the receiver."), "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404, _("There is no webhook endpoint with id %(id)s.", id=endpoint_id))
    return endpoint


@permission_required(Permission.MANAGE_REFERENCE)
def detail(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    log = list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(LOG_LIMIT)
        )
    )
    return render_template("webhooks/detail.html", endpoint=endpoint, log=log, action_form=ActionForm())


@permission_required(Permission.MANAGE_REFERENCE)
def send_test(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit() or not endpoint.active:
        abort(400, _("The form expired or the endpoint is disabled."))
    delivery.send_test(endpoint, current_user)
    db.session.commit()  # tried right after the commit; the log shows the outcome
    flash(_("Test event sent: see the delivery log."), "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@permission_required(Permission.MANAGE_REFERENCE)
def disable(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired: reload the page and try again."))
    services.disable_endpoint(endpoint, current_user)
    db.session.commit()
    flash(_("Endpoint disabled: nothing more is sent to it."), "success")
    return redirect(url_for("webhooks.index"))


@permission_required(Permission.MANAGE_REFERENCE)
def save_settings():
    form = SettingsForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired: reload the page and try again."))
    services.set_allow_private(bool(form.allow_private.data), current_user)
    db.session.commit()
    flash(_("Webhook settings saved."), "success")
    return redirect(url_for("webhooks.index"))
