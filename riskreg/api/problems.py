"""Errors of the API as application/problem+json (RFC 9457), with the field errors beside them."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

from riskreg.errors import TITLES

PROBLEM = "application/problem+json"
API_TITLES = {
    **TITLES,
    400: "The request is not valid",
    401: "A valid bearer token is needed",
    403: "This token may not do that",
    412: "The record changed since the version given in If-Match",
    413: "The request body is too large",
    415: "The body must be JSON",
    422: "The change breaks a rule of the register",
    428: "If-Match is required",
    429: "Too many requests for this token",
}


class Problem(Exception):
    """Raised by the API's views; rendered by `response`."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []
        self.headers, self.extra = headers or {}, extra


def response(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    title = str(API_TITLES.get(status, "Error"))  # the page titles are lazy strings
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    result = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    result.headers.update(headers or {})
    if status == 401:
        result.headers.setdefault("WWW-Authenticate", 'Bearer realm="riskreg"')
    return result


def from_problem(problem: Problem) -> Response:
    return response(problem.status, problem.detail, problem.errors, problem.headers, **problem.extra)


def from_http(error: HTTPException) -> Response:
    code = error.code or 500
    headers: dict[str, str] = {}
    if code == 429:
        headers["Retry-After"] = str(retry_after())
    if code == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    detail = error.description or ""
    if code == 429:
        detail = f"This token made too many requests ({detail}); wait and try again."
    return response(code, detail, headers=headers)


def retry_after() -> int:
    """Seconds until the exceeded rate limit's window resets (Flask-Limiter's current limit)."""
    from riskreg.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))
