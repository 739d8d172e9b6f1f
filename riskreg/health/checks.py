"""What /healthz?ready checks: the database accepts a write, Redis answers (when configured), and
each check another feature registers (the job queue).

The database probe is a statement that would write (an UPDATE of no row) in a transaction that is
rolled back, rather than an upsert into a health table: a read-only file, a read-only role or a
standby refuses it as it would refuse a save, while nothing is written, no table grows, no row is
locked between hosts probing at once, and no migration is needed.

A registered check is `check() -> str`: it returns a short state ("reachable") or raises with the
reason; `register_check(app, "jobs", check)` adds it under that name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app

from riskreg.dbfaults import Fault, classify
from riskreg.extensions import db

logger = logging.getLogger(__name__)

Check = Callable[[], str]
_CHECKS = "riskreg.health.checks"

WHAT_IS_WRONG = {
    Fault.READ_ONLY: "read-only: saves are refused",
    Fault.FULL: "full: saves are refused",
    Fault.BUSY: "busy: the write lock is held",
}


class CheckFailed(Exception):
    """A check's reason for failing, in words for the JSON body."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    state: str


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a readiness check (the jobs feature: "jobs", the queue answers)."""
    if name in {"status", "failed", "database", "redis"}:
        raise ValueError(f"readiness check name {name!r} is taken")
    app.extensions.setdefault(_CHECKS, {})[name] = check


def database(write: bool) -> Outcome:
    try:
        db.session.execute(sa.text("SELECT 1"))
        if write:
            db.session.execute(sa.text("UPDATE app_settings SET key = key WHERE 1 = 0"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        fault = classify(error)
        if fault in WHAT_IS_WRONG:
            logger.warning("health check: database %s", fault.value)
            return Outcome(False, WHAT_IS_WRONG[fault])
        logger.exception("health check: database unreachable")
        return Outcome(False, "unreachable")
    db.session.rollback()
    return Outcome(True, "accepts writes" if write else "ok")


def redis_url(app: Flask) -> str | None:
    """Redis is configured when REDIS_URL is set or the rate limits are kept in Redis."""
    for url in (app.config.get("REDIS_URL"), app.config.get("RATELIMIT_STORAGE_URI")):
        if url and url.split(":", 1)[0] in {"redis", "rediss", "redis+unix"}:
            return url.replace("redis+unix://", "unix://", 1)
    return None


def redis(url: str) -> Outcome:
    import redis as redis_client

    timeout = current_app.config["HEALTH_TIMEOUT"]
    try:
        connection = redis_client.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            connection.ping()
        finally:
            connection.close()
    except (redis_client.RedisError, OSError) as error:
        logger.warning("health check: redis does not answer: %s", error)
        return Outcome(False, "does not answer")
    return Outcome(True, "answers")


def registered(check: Check, name: str) -> Outcome:
    try:
        return Outcome(True, check())
    except Exception as error:  # any failure of a check is "not ready", never a 500
        logger.warning("health check: %s failed: %s", name, error)
        reason = str(error) if isinstance(error, CheckFailed) else "unreachable"
        return Outcome(False, reason)


def readiness(app: Flask) -> dict[str, Outcome]:
    outcomes = {"database": database(write=True)}
    url = redis_url(app)
    if url:
        outcomes["redis"] = redis(url)
    for name, check in sorted(app.extensions.get(_CHECKS, {}).items()):
        outcomes[name] = registered(check, name)
    return outcomes
