"""What a database error means for the person who hit it: busy, a clash, read-only, full or unreachable.

Both drivers say it in their own words (PostgreSQL's SQLSTATE, SQLite's error name); the error pages
and the import need one answer, so that people are told what happened instead of "error 500".
"""

from __future__ import annotations

import enum

import sqlalchemy as sa


class Fault(enum.Enum):
    BUSY = "busy"  # SQLite's write lock held by someone else past busy_timeout
    CLASH = "clash"  # a deadlock or serialization failure: this transaction was rolled back
    READ_ONLY = "read_only"
    FULL = "full"
    UNAVAILABLE = "unavailable"  # cannot connect, connection lost, pool exhausted


_SQLSTATES = {
    "40P01": Fault.CLASH,  # deadlock_detected
    "40001": Fault.CLASH,  # serialization_failure
    "55P03": Fault.BUSY,  # lock_not_available (lock_timeout)
    "25006": Fault.READ_ONLY,  # read_only_sql_transaction (also a hot standby)
    "53100": Fault.FULL,  # disk_full
    "53300": Fault.UNAVAILABLE,  # too_many_connections
    "57P01": Fault.UNAVAILABLE,  # admin_shutdown
    "57P02": Fault.UNAVAILABLE,  # crash_shutdown
    "57P03": Fault.UNAVAILABLE,  # cannot_connect_now
}
_SQLITE = {
    "SQLITE_BUSY": Fault.BUSY,
    "SQLITE_LOCKED": Fault.BUSY,
    "SQLITE_READONLY": Fault.READ_ONLY,
    "SQLITE_FULL": Fault.FULL,
    "SQLITE_CANTOPEN": Fault.UNAVAILABLE,
    "SQLITE_IOERR": Fault.UNAVAILABLE,
}


def classify(error: BaseException) -> Fault | None:
    """The fault behind a SQLAlchemy error, or None for anything else (a bug: a real 500)."""
    if isinstance(error, sa.exc.TimeoutError):  # QueuePool: no connection free in time
        return Fault.UNAVAILABLE
    if not isinstance(error, sa.exc.DBAPIError):
        return None
    orig = error.orig
    state = getattr(orig, "sqlstate", None)
    if state:
        return Fault.UNAVAILABLE if state.startswith("08") else _SQLSTATES.get(state)
    name = getattr(orig, "sqlite_errorname", None)
    if name:  # "SQLITE_BUSY_SNAPSHOT", "SQLITE_READONLY_DBMOVED", ...: the primary code decides
        return _SQLITE.get("_".join(name.split("_")[:2]))
    if "database is locked" in str(orig):
        return Fault.BUSY
    if isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)) or error.connection_invalidated:
        return Fault.UNAVAILABLE  # psycopg's connection failures carry no SQLSTATE
    return None
