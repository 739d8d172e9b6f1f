"""Per request: the request id in and out, one log line, and the request metrics."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from riskreg.observability import metrics
from riskreg.observability.request_id import HEADER, clean, new_request_id

logger = logging.getLogger("riskreg.requests")


def user_id() -> int | None:
    """The signed-in user's id if Flask-Login has loaded it already: the log line costs no query."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id


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
