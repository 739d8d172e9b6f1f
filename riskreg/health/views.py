"""/healthz for load balancers: 200 while the database answers, 503 when it does not.

`/healthz?ready` also checks that the database accepts writes: a statement that would write (an
UPDATE of no row) runs in a transaction that is rolled back. A read-only file, a read-only role or
a standby refuses it as it would refuse a save, while nothing is written and no lock is kept.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import request

from riskreg.dbfaults import Fault, classify
from riskreg.extensions import db

logger = logging.getLogger(__name__)

WHAT_IS_WRONG = {
    Fault.READ_ONLY: "read-only: saves are refused",
    Fault.FULL: "full: saves are refused",
    Fault.BUSY: "busy: the write lock is held",
}


def healthz():
    ready = "ready" in request.args
    try:
        db.session.execute(sa.text("SELECT 1"))
        if ready:
            db.session.execute(sa.text("UPDATE app_settings SET key = key WHERE 1 = 0"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        fault = classify(error)
        if fault in WHAT_IS_WRONG:
            logger.warning("health check: database %s", fault.value)
            return {"status": "unavailable", "database": WHAT_IS_WRONG[fault]}, 503
        logger.exception("health check: database unreachable")
        return {"status": "unavailable", "database": "unreachable"}, 503
    db.session.rollback()
    return {"status": "ok", "database": "accepts writes" if ready else "ok"}, 200
