"""Errors of the API as application/problem+json (RFC 9457), with the field errors beside them."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Response, json
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from riskreg.errors import DESCRIPTIONS, TITLES
from riskreg.i18n import gettext as _

PROBLEM = "application/problem+json"
API_TITLES = {
    **TITLES,
    400: _l("The request is not valid"),
    401: _l("A valid bearer token is needed"),
    403: _l("This token may not do that"),
    412: _l("The record changed since the version given in If-Match"),
    413: _l("The request body is too large"),
    415: _l("The body must be JSON"),
    422: _l("The change breaks a rule of the register"),
    428: _l("If-Match is required"),
    429: _l("Too many requests for this token"),
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
    title = str(API_TITLES.get(status, _l("Error")))  # lazy strings, said in the caller's language
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = [{key: str(value) for key, value in error.items()} for error in errors]
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
    if detail == type(error).description and code in DESCRIPTIONS:
        detail = str(DESCRIPTIONS[code])  # werkzeug's default, in the caller's language
    if code == 429:
        detail = _("This token made too many requests (%(limit)s); wait and try again.", limit=detail)
    return response(code, detail, headers=headers)


def retry_after() -> int:
    """Seconds until the exceeded rate limit's window resets (Flask-Limiter's current limit)."""
    from riskreg.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))
