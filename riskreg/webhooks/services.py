"""Admins' changes to webhook endpoints and the SSRF setting; each audited."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.extensions import db
from riskreg.standards.models import AppSetting
from riskreg.webhooks.delivery import EVENTS, SETTING_ALLOW_PRIVATE, WebhookError, check_url, new_secret
from riskreg.webhooks.models import WebhookEndpoint


def create_endpoint(url: str, events: list[str], description: str, actor: Any) -> WebhookEndpoint:
    url = (url or "").strip()
    if len(url) > 2000:
        raise WebhookError("url", _l("The URL must be at most 2,000 characters."))
    unknown = [kind for kind in events if kind not in EVENTS]
    if unknown or not events:
        raise WebhookError(
            "events",
            _l("Choose at least one event.")
            if not unknown
            else _l("Unknown events: %(events)s", events=unknown),
        )
    check_url(url)
    endpoint = WebhookEndpoint(
        url=url,
        events=list(events),
        description=(description or "").strip()[:200],
        secret=new_secret(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook", endpoint.id, "create", actor, {"url": [None, url], "events": [None, list(events)]}
    )
    return endpoint


def disable_endpoint(endpoint: WebhookEndpoint, actor: Any) -> None:
    if not endpoint.active:
        return
    endpoint.active = False
    db.session.flush()
    audit.record("webhook", endpoint.id, "disable", actor, {"active": [True, False]})


def set_allow_private(allowed: bool, actor: Any) -> bool:
    setting = db.session.get(AppSetting, SETTING_ALLOW_PRIVATE)
    old = bool(setting and setting.value)
    if old == allowed:
        return False
    if setting is None:
        db.session.add(AppSetting(key=SETTING_ALLOW_PRIVATE, value=allowed))
    else:
        setting.value = allowed
    db.session.flush()
    audit.record("setting", 0, "update", actor, {"webhooks_allow_private": [old, allowed]})
    return True
