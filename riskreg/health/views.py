"""/healthz: 200 while the database answers, 503 when it does not (for load balancers)."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from riskreg.extensions import db

logger = logging.getLogger(__name__)


def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        logger.exception("health check: database unreachable")
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
