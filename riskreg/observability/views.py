"""/metrics in the Prometheus text format, for a scraper with the token or an allowed address."""

from __future__ import annotations

from flask import Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from riskreg.observability import access
from riskreg.observability import metrics as collected


def metrics() -> Response:
    rules = access.access_of(current_app)
    if not rules.enabled:
        abort(404)  # not configured: nothing to find here
    if not access.allowed(rules, request):
        abort(403)
    response = Response(collected.exposition(current_app), mimetype=None)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response
