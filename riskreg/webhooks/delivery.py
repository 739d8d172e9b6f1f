"""Webhook events: queued from the audit trail in the change's own transaction (an outbox row per
endpoint), tried right after the commit with a short timeout, then by `flask webhooks deliver` (cron)
with exponential backoff for 24 hours. Signed per Standard Webhooks (webhook-id, webhook-timestamp,
webhook-signature: HMAC-SHA256). Sending never fails or undoes the change that caused it.

Endpoints on loopback, link-local, private or otherwise non-public addresses are refused (SSRF)
unless the admin setting allows them; every address the host resolves to is checked, when the
endpoint is saved and again before each delivery; redirects are not followed."""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

EVENTS: dict[str, Any] = {  # lazy strings: the admin page says them in its language
    "risk.created": _l("A risk is created"),
    "risk.updated": _l("A risk is changed"),
    "risk.archived": _l("A risk is archived"),
    "control.assigned": _l("A control is assigned to a department or owner"),
    "control.closed": _l("A control is closed as implemented"),
    "control.verified": _l("A control is verified"),
    "observation.recorded": _l("An ASM observation is recorded"),
    "indicator.triggered": _l("A key risk indicator crosses a threshold (a trigger)"),
}
TEST_EVENT = "webhook.test"
# (entity, action) of the audit trail -> event type
AUDIT_EVENTS = {
    ("risk", "create"): "risk.created",
    ("risk", "update"): "risk.updated",
    ("risk", "archive"): "risk.archived",
    ("control", "create"): "control.assigned",
    ("control", "close"): "control.closed",
    ("control", "verify"): "control.verified",
    ("asm_observation", "create"): "observation.recorded",
    ("site_indicator", "trigger"): "indicator.triggered",
}
API_PATHS = {"risk": "/api/v1/risks/{id}", "control": "/api/v1/controls/{id}"}
# After the first try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h (Standard Webhooks' suggested schedule),
# then every 10 h until 24 h have passed since the event.
BACKOFF = (5, 300, 1800, 7200, 18000, 36000)
GIVE_UP_AFTER = timedelta(hours=24)
SETTING_ALLOW_PRIVATE = "webhooks_allow_private"
_ENDPOINTS = "riskreg.webhooks.endpoints"
_PENDING = "riskreg.webhooks.pending"
_FLUSHED = "riskreg.webhooks.flushed"


class WebhookError(ValueError):
    def __init__(self, field: str, message: Any) -> None:  # a lazy string, said where it is shown
        super().__init__(message)
        self.field = field


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# ------------------------------------------------------------------ SSRF guard


def allow_private() -> bool:
    from riskreg.standards.models import AppSetting

    setting = db.session.get(AppSetting, SETTING_ALLOW_PRIVATE)
    return bool(setting and setting.value)


def check_url(url: str, private_allowed: bool | None = None) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to any non-public address."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise WebhookError("url", _l("Give an http or https URL with a host name."))
    if parsed.username or parsed.password:
        raise WebhookError("url", _l("Put no user name or password in the URL; the signature authenticates."))
    private_allowed = allow_private() if private_allowed is None else private_allowed
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookError(
            "url", _l("The host %(host)s cannot be resolved.", host=parsed.hostname)
        ) from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not private_allowed and not address.is_global:
            raise WebhookError(
                "url",
                _l(
                    "%(host)s resolves to %(address)s, a loopback, link-local or private address; "
                    "an admin can allow such endpoints in the webhook settings.",
                    host=parsed.hostname,
                    address=str(address),
                ),
            )


# ------------------------------------------------------------------ queueing (in the change's transaction)


def _endpoints(session: Session) -> list[tuple[int, list[str]]]:
    """The active endpoints and their events, read once per transaction."""
    cached = session.info.get(_ENDPOINTS)
    if cached is None:
        # No autoflush: audit.record calls this with the change's own rows still pending, and
        # callers may still amend them (the field-data import annotates the audit event).
        with session.no_autoflush:
            rows = session.execute(
                sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))
            )
            cached = session.info[_ENDPOINTS] = [(row.id, list(row.events or [])) for row in rows]
    return cached


def on_audit(entity: str, entity_id: int, action: str, actor: Any, changes: dict[str, Any]) -> None:
    """Called by riskreg.audit.record for every audited change."""
    kind = AUDIT_EVENTS.get((entity, action))
    if (
        kind is None
        and (entity, action) == ("control", "update")
        and {"department", "owner"} & changes.keys()
    ):
        kind = "control.assigned"
    if kind is None:
        return
    session = db.session()
    targets = [endpoint_id for endpoint_id, events in _endpoints(session) if kind in events]
    if not targets:
        return
    data: dict[str, Any] = {
        "entity": entity,
        "id": entity_id,
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "changes": changes,
    }
    if entity in API_PATHS:
        data["url"] = current_app.config["BASE_URL"].rstrip("/") + API_PATHS[entity].format(id=entity_id)
    for endpoint_id in targets:
        queue(session, endpoint_id, kind, data)


def queue(session: Session, endpoint_id: int, kind: str, data: dict[str, Any]) -> WebhookDelivery:
    now = utcnow()
    body = {"type": kind, "timestamp": now.isoformat(timespec="seconds") + "Z", "data": data}
    delivery = WebhookDelivery(
        endpoint_id=endpoint_id,
        message_id="msg_" + secrets.token_urlsafe(18),
        event_type=kind,
        payload=json.dumps(body, separators=(",", ":"), default=str),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(delivery)
    session.info.setdefault(_PENDING, []).append(delivery)
    return delivery


def send_test(endpoint: WebhookEndpoint, actor: Any) -> WebhookDelivery:
    data = {"message": "A test event from riskreg.", "endpoint_id": endpoint.id, "actor_id": actor.id}
    return queue(db.session(), endpoint.id, TEST_EVENT, data)


# ------------------------------------------------------------------ sending


@dataclass(frozen=True)
class Attempt:
    id: int
    url: str
    secret: str
    message_id: str
    payload: str
    created_at: datetime
    attempts: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer (3xx), never followed to another host


def signed_headers(secret: str, message_id: str, payload: str, at: datetime | None = None) -> dict[str, str]:
    from datetime import UTC

    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, at, payload)
    return {
        "Content-Type": "application/json",
        "User-Agent": "riskreg-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _send(attempt: Attempt, timeout: float, private_allowed: bool) -> tuple[int | None, str | None, int]:
    """(HTTP status, error, milliseconds); never raises."""
    started = time.monotonic()
    try:
        check_url(attempt.url, private_allowed)  # again now: DNS may have changed since it was saved
        request = urllib.request.Request(  # noqa: S310 (http(s) only: check_url)
            attempt.url,
            data=attempt.payload.encode(),
            headers=signed_headers(attempt.secret, attempt.message_id, attempt.payload),
            method="POST",
        )
        opener = urllib.request.build_opener(_NoRedirects)
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(1024)
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError) as error:
        with force_locale("en"):  # the delivery log keeps the error in English, as the log does
            said = f"{type(error).__name__}: {error}"[:2000]
        return None, said, int((time.monotonic() - started) * 1000)
    elapsed = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        return status, None, elapsed
    return status, f"HTTP {status}", elapsed


def outcome(
    attempt: Attempt, status: int | None, error: str | None, ms: int, now: datetime
) -> dict[str, Any]:
    """The delivery's new values after one try."""
    values: dict[str, Any] = {
        "attempts": attempt.attempts + 1,
        "last_status": status,
        "last_error": error,
        "response_ms": ms,
    }
    if error is None:
        values |= {"delivered_at": now, "next_attempt_at": None}
        return values
    step = BACKOFF[min(attempt.attempts, len(BACKOFF) - 1)]
    following = now + timedelta(seconds=step)
    values["next_attempt_at"] = None if following > attempt.created_at + GIVE_UP_AFTER else following
    return values


def _attempts(where: Any, limit: int | None = None) -> list[Attempt]:
    stmt = (
        sa.select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(where, WebhookEndpoint.active.is_(True))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    with db.engine.connect() as connection:
        rows = connection.execute(
            stmt.with_only_columns(
                WebhookDelivery.id,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
                WebhookDelivery.message_id,
                WebhookDelivery.payload,
                WebhookDelivery.created_at,
                WebhookDelivery.attempts,
            )
        ).all()
    return [Attempt(*row) for row in rows]


def _try_all(attempts: list[Attempt], timeout: float) -> tuple[int, int]:
    """Send each and record each outcome on a connection of its own; (delivered, failed)."""
    if not attempts:
        return 0, 0
    with db.engine.connect() as connection:
        private_allowed = bool(
            connection.scalar(
                sa.text("SELECT value FROM app_settings WHERE key = :key"), {"key": SETTING_ALLOW_PRIVATE}
            )
            not in (None, "false", "null", False)
        )
    delivered = failed = 0
    for attempt in attempts:
        status, error, ms = _send(attempt, timeout, private_allowed)
        values = outcome(attempt, status, error, ms, utcnow())
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(WebhookDelivery).where(WebhookDelivery.id == attempt.id).values(values)
            )
        if error is None:
            delivered += 1
        else:
            failed += 1
            logger.warning("webhook %s to %s failed: %s", attempt.message_id, attempt.url, error)
    return delivered, failed


def deliver_due(limit: int = 500) -> tuple[int, int]:
    """`flask webhooks deliver`: send what is due now."""
    db.session.rollback()
    due = _attempts(
        sa.and_(WebhookDelivery.next_attempt_at.is_not(None), WebhookDelivery.next_attempt_at <= utcnow()),
        limit,
    )
    return _try_all(due, current_app.config["WEBHOOK_TIMEOUT"])


@event.listens_for(Session, "after_flush_postexec")
def _copy_flushed(session: Session, _context: Any) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info.setdefault(_FLUSHED, []).extend(row.id for row in pending)
        pending.clear()


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    """The change is committed: try its deliveries now (short timeout). Nothing here may raise."""
    session.info.pop(_ENDPOINTS, None)
    session.info.pop(_PENDING, None)
    ids = session.info.pop(_FLUSHED, [])
    if not ids:
        return
    try:
        _try_all(_attempts(WebhookDelivery.id.in_(ids)), current_app.config["WEBHOOK_TIMEOUT"])
    except Exception:
        logger.exception("webhook deliveries %s not tried; `flask webhooks deliver` sends them", ids)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    for key in (_ENDPOINTS, _PENDING, _FLUSHED):
        session.info.pop(key, None)
