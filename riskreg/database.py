"""SQLite: when a request takes the write lock, the read-only stretches that must not take it, and
a database file that only riskreg's own user can read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import g, has_app_context, has_request_context, request

from riskreg.extensions import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def request_may_write() -> bool:
    """True while a POST (PUT, ...) may write: its transactions begin IMMEDIATE on SQLite."""
    if has_app_context() and g.get("riskreg_writing", False):
        return True  # a job's write_phase()
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


@contextmanager
def write_phase() -> Iterator[None]:
    """Outside a request (a job on the worker), transactions that will write begin IMMEDIATE on
    SQLite, as a writing request's do: a deferred one that read first cannot take the lock once
    another connection (the job's own progress) has written since its read began."""
    db.session.commit()  # end the read that came before: its snapshot would be stale
    g.riskreg_writing = True
    try:
        yield
    finally:
        g.riskreg_writing = False


def create_private_file(database: str) -> None:
    """Create the SQLite file 0600 before SQLite would (0644 under the usual umask): SQLite gives
    the -wal and -shm files it makes later the database file's own mode. An existing file is left
    as it is; a missing folder is left for SQLite to report."""
    path = Path(database)
    if not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # empty: a valid database
    except FileExistsError:
        pass
