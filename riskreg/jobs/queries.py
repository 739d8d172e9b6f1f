from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from riskreg.extensions import db
from riskreg.jobs.models import Job

RECENT = 50


def recent(user_id: int | None, everyone: bool = False) -> list[Job]:
    """The newest jobs of a user (or of everyone, with the scheduled ones, for an admin)."""
    stmt = sa.select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(RECENT)
    if not everyone:
        stmt = stmt.where(Job.user_id == user_id)
    return list(db.session.scalars(stmt.options(joinedload(Job.user))))


def job(job_id: int) -> Job | None:
    return db.session.scalar(sa.select(Job).where(Job.id == job_id).options(joinedload(Job.user)))
