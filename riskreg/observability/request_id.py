"""The request id: taken from a valid incoming X-Request-Id or made here, then carried into log
lines, mails and background jobs.

For code outside a request (a job worker, the CLI): `current_request_id()` reads the id of the
request being served, else the one bound with `bound_request_id(...)`. A job records
`current_request_id()` when it is queued and runs inside `with bound_request_id(saved):`, so its log
lines and its mails carry the id of the request that asked for it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context

HEADER = "X-Request-Id"
MAX_LENGTH = 128
# Letters, digits and . _ : - only: the id goes into log lines and mail headers unescaped.
VALID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")

_bound: ContextVar[str | None] = ContextVar("riskreg_request_id", default=None)


def clean(raw: str | None) -> str | None:
    """The incoming id when it is safe to repeat, else None (a new one is made)."""
    if raw and VALID.fullmatch(raw):
        return raw
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being served, else of the job or command bound to one, else None."""
    if has_request_context():
        request_id = g.get("request_id")
        if request_id:
            return request_id
    return _bound.get()


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[str]:
    """Run a job (or command) as part of the request that queued it; none or an invalid id gets a
    new one, so the job's own lines still belong together."""
    value = clean(request_id) or new_request_id()
    token = _bound.set(value)
    try:
        yield value
    finally:
        _bound.reset(token)
