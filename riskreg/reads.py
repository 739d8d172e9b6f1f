"""Rows of a statement that loads no model (columns, counts, sums), read on the session's own
connection and transaction.

Session.execute runs any statement naming a model's columns through the ORM: its compile plugin,
the bind lookup and a Python step per row that makes ORM rows out of the database's rows, about
25 µs a statement and more per row than the database took to send it (a dashboard view runs
sixteen such statements, some of a few hundred rows). The connection's result has the same rows,
keys and types. A statement that loads model objects goes through the session (db.session), which
keeps their identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from riskreg.extensions import db


def result(stmt: sa.Executable, params: Mapping[str, Any] | None = None) -> sa.CursorResult[Any]:
    """The statement's result, after the session's pending changes are flushed (as Session.execute
    would, so a read after a write in the same transaction sees it)."""
    session = db.session()
    if session.autoflush:  # False inside no_autoflush, as Session.execute would respect
        session.flush()  # returns at once when nothing is pending
    return session.connection().execute(stmt, params)


def rows(stmt: sa.Executable, params: Mapping[str, Any] | None = None) -> list[sa.Row[Any]]:
    """Every row, fetched in one call: iterating a result fetches row by row (a Python call each,
    more than the row's own processing)."""
    return result(stmt, params).all()


def one(stmt: sa.Executable, params: Mapping[str, Any] | None = None) -> sa.Row[Any]:
    return result(stmt, params).one()


def scalar(stmt: sa.Executable, params: Mapping[str, Any] | None = None) -> Any:
    return result(stmt, params).scalar()
