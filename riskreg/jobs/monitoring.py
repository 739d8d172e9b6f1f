"""The job queue on /metrics (depth and failures) and in /healthz?ready (the queue answers)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from huey.api import Huey

from riskreg.extensions import db
from riskreg.health.checks import CheckFailed, register_check
from riskreg.jobs.models import Job, JobState
from riskreg.modeling import utcnow
from riskreg.observability.metrics import QueueStats, register_queue_stats

FAILED_WINDOW = timedelta(hours=24)  # failures worth a look: those of the last day


def register(app: Flask, huey: Huey) -> None:
    def stats() -> QueueStats:
        failed = db.session.scalar(
            sa.select(sa.func.count(Job.id)).where(
                Job.state == JobState.FAILED, Job.created_at >= utcnow() - FAILED_WINDOW
            )
        )
        return QueueStats(depth=huey.pending_count(), failed=int(failed or 0))

    def reachable() -> str:
        try:
            waiting = huey.pending_count()
        except Exception as error:  # noqa: BLE001 (Redis down, an unreadable queue file: said as such)
            raise CheckFailed(f"the job queue does not answer ({type(error).__name__})") from error
        return f"reachable, {waiting} waiting"

    register_queue_stats(app, "jobs", stats)
    register_check(app, "jobs", reachable)
