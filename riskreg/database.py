"""When a request takes SQLite's write lock, and the read-only stretches that must not take it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_request_context, request

from riskreg.extensions import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def request_may_write() -> bool:
    """True while a POST (PUT, ...) may write: its transactions begin IMMEDIATE on SQLite."""
    if not has_request_context() or request.method in SAFE_METHODS:
        return False
    return not g.get("riskreg_reading", False)


@contextmanager
def read_phase() -> Iterator[None]:
    """A read-only stretch of a writing request, in a transaction of its own that takes no write
    lock and is ended on the way out: slow work after it (a password hash) then holds nothing, and
    the request's writes begin a fresh, short write transaction. Anything written inside is undone."""
    db.session.commit()  # end what the request had open before (it has written nothing yet)
    g.riskreg_reading = True
    try:
        yield
    finally:
        db.session.rollback()
        g.riskreg_reading = False
