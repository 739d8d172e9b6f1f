"""Who is calling: the bearer token of the Authorization header, and nothing else (never the
session cookie of a signed-in browser). The token's user becomes current_user for the request, so
the pages' permission checks apply unchanged; a read-only token may only read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request

from riskreg.api import tokens
from riskreg.api.problems import Problem
from riskreg.auth.permissions import Permission, has_permission
from riskreg.database import SAFE_METHODS
from riskreg.i18n import gettext as _

# Endpoints of the API blueprint anyone may read: the description of the API, not its data.
OPEN_ENDPOINTS = {"api.openapi", "api.docs", "api.docs_asset"}


def token_key() -> str:
    """The rate limit's key: the token's digest (not the secret), or the client address without one."""
    secret = tokens.bearer(request.headers.get("Authorization"))
    if secret:
        return "api-token:" + tokens.digest(secret)[:32]
    return "api-address:" + (request.remote_addr or "?")


def rate_limit() -> str:
    return current_app.config["API_RATELIMIT"]


def authenticate() -> None:
    """before_request of the API blueprint."""
    if request.endpoint in OPEN_ENDPOINTS:
        return
    max_body = current_app.config["API_MAX_BODY"]
    request.max_content_length = max_body  # a longer chunked body fails as it is read: a 413
    if request.content_length is not None and request.content_length > max_body:
        raise Problem(413, _("The body may be at most %(bytes)s bytes.", bytes=max_body))
    secret = tokens.bearer(request.headers.get("Authorization"))
    token = tokens.find_usable(secret) if secret else None
    if token is None:
        if secret is None:
            raise Problem(401, _("The bearer token is missing. Send 'Authorization: Bearer rr_...'."))
        raise Problem(
            401,
            _(
                "The bearer token is unknown, expired or revoked, or its user is disabled. "
                "Send 'Authorization: Bearer rr_...'."
            ),
        )
    read_only, name, user = token.read_only, token.name, token.user
    tokens.note_use(token)
    g._login_user = user  # Flask-Login's current_user for this request; the session is never read
    g.api_token_id = token.id
    g.audit_via = f"api, token “{name}”"[:120]
    if request.method not in SAFE_METHODS and read_only:
        raise Problem(403, _("This token is read-only: create a read-and-write token to change anything."))


def require(permission: Permission | Callable[[Any], bool] | None) -> None:
    """The role check of an operation, before its body is read: a permission, or a predicate on the
    user (the per-object check follows in the view)."""
    if permission is None:
        return
    if isinstance(permission, Permission):
        if not has_permission(g._login_user, permission):
            raise Problem(
                403,
                _(
                    "Your role may not do this (it needs the %(permission)s permission).",
                    permission=permission.value,
                ),
            )
    elif not permission(g._login_user):
        raise Problem(403, _("Your role may not do this."))
