"""Per request: the request id in and out, one log line, and the request metrics."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import Flask, Response, g, request

from riskreg.extensions import db
from riskreg.observability import metrics
from riskreg.observability.request_id import HEADER, clean, new_request_id

logger = logging.getLogger("riskreg.requests")


def user_id() -> int | None:
    """The signed-in user's id if Flask-Login has loaded it already. Read from the identity map's
    key, never from the row: after a commit its attributes are expired, and reading one would
    query the database again (a line about a saved request must not fail when the database has
    gone away since)."""
    user = g.get("_login_user")
    # type(), not isinstance(): after a sign-out the slot can hold Flask-Login's proxy of itself.
    if not issubclass(type(user), db.Model):  # the anonymous user, or none loaded
        return None
    state = sa.inspect(user)
    return state.identity[0] if state.identity else None


def register(app: Flask) -> None:
    def _start() -> None:
        g.request_id = clean(request.headers.get(HEADER)) or new_request_id()
        g.request_started = time.perf_counter()

    def _finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a request that failed before our hook ran (should not happen)
            return response
        seconds = time.perf_counter() - started
        response.headers[HEADER] = g.request_id
        endpoint = request.endpoint or "unmatched"
        metrics.observe_request(endpoint, request.method, response.status_code, seconds)
        logger.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": user_id(),
                "remote_addr": request.remote_addr,
            },
        )
        return response

    # First of all hooks: the sign-in check may answer before any later before_request runs, and
    # its redirect must still be timed, logged and carry the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
