"""Running one job on a worker: claim it, beat, report progress, publish or fail.

The job's row is written on connections of its own (never the handler's session): progress is
seen while the handler's transaction is still open, and a handler's rollback undoes none of it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from riskreg.extensions import db
from riskreg.jobs import outputs
from riskreg.jobs.models import Job, JobState
from riskreg.modeling import utcnow

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes: the page polls every second


class JobFailure(Exception):
    """A reason to show the user (bad parameters, lost rights, a file gone): no traceback needed."""


@dataclass
class Outcome:
    message: str
    output_key: str | None = None
    output_name: str | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _update(engine: sa.Engine, job_id: int, *where: Any, **values: Any) -> int:
    with engine.begin() as conn:
        result = conn.execute(sa.update(Job).where(Job.id == job_id, *where).values(**values))
        return result.rowcount


class Progress:
    """Handed to a handler: `start(total)`, then `rows(n)` as often as it likes (writes are throttled)."""

    def __init__(self, engine: sa.Engine, job_id: int) -> None:
        self.engine, self.job_id = engine, job_id
        self._last = 0.0
        self.done = 0

    def start(self, total: int | None, message: str = "") -> None:
        self._write(done=0, total=total, message=message)

    def note(self, message: str) -> None:
        """What the job is doing now, with the rows written so far (not yet written if throttled)."""
        self._write(message=message, done=self.done)

    def output(self, key: str) -> None:
        """Say which file the job writes before writing it: a reaper can then remove what is left."""
        self._write(output_key=key)

    def rows(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY:
            self._write(done=done)

    def _write(self, **values: Any) -> None:
        self._last = time.monotonic()
        _update(self.engine, self.job_id, Job.state == JobState.RUNNING, heartbeat_at=utcnow(), **values)


class Heartbeat(threading.Thread):
    """Beats while the handler runs, also through stretches with no progress (saving, a long query)."""

    def __init__(self, engine: sa.Engine, job_id: int, interval: float) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.engine, self.job_id, self.interval = engine, job_id, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                _update(self.engine, self.job_id, Job.state == JobState.RUNNING, heartbeat_at=utcnow())
            except sa.exc.SQLAlchemyError as error:  # a busy database: beat again next time
                logger.warning("job %s: heartbeat not written: %s", self.job_id, error)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


Handler = Callable[[Job, Progress], Outcome]


def run(job_id: int, handlers: dict[Any, Handler]) -> None:
    engine = db.engine
    now = utcnow()
    claimed = _update(
        engine,
        job_id,
        Job.state == JobState.QUEUED,
        state=JobState.RUNNING,
        started_at=now,
        heartbeat_at=now,
        message="Started",
        worker=worker_name(),
    )
    if not claimed:  # gone, already taken by another worker, or finished: a duplicate delivery
        logger.info("job %s: not queued any more, nothing to do", job_id)
        return
    job = db.session.get(Job, job_id)
    assert job is not None
    beat = Heartbeat(engine, job_id, heartbeat_interval())
    beat.start()
    try:
        outcome = handlers[job.kind](job, Progress(engine, job_id))
    except JobFailure as error:
        db.session.rollback()
        _fail(engine, job_id, str(error))
    except Exception as error:
        db.session.rollback()
        logger.exception("job %s (%s) failed", job_id, job.kind.value)
        # The details are in the worker's log; the page says what kind of error without the internals.
        _fail(
            engine,
            job_id,
            f"The job stopped on an unexpected error ({type(error).__name__}); retry it, and "
            "if it fails again, tell an administrator (the worker's log has the details).",
        )
    else:
        _finish(engine, job_id, outcome)
    finally:
        beat.stop()
        db.session.remove()


def heartbeat_interval() -> float:
    return max(0.2, current_app.config["JOBS_STALE_SECONDS"] / 4)


def _finish(engine: sa.Engine, job_id: int, outcome: Outcome) -> None:
    size = outputs.size(outcome.output_key) if outcome.output_key else None
    finished = _update(
        engine,
        job_id,
        Job.state == JobState.RUNNING,
        state=JobState.DONE,
        finished_at=utcnow(),
        heartbeat_at=utcnow(),
        message=outcome.message,
        output_key=outcome.output_key,
        output_name=outcome.output_name,
        output_size=size,
        done=sa.func.coalesce(Job.total, Job.done),
    )
    if not finished and outcome.output_key:
        # The reaper gave up on this job meanwhile (it beat too late): its file is not served.
        outputs.delete(outcome.output_key)
    logger.info("job %s done: %s", job_id, outcome.message)


def fail(job_id: int, reason: str) -> None:
    _fail(db.engine, job_id, reason)


def _fail(engine: sa.Engine, job_id: int, reason: str) -> None:
    with engine.begin() as conn:
        key = conn.scalar(sa.select(Job.output_key).where(Job.id == job_id))
        conn.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(state=JobState.FAILED, finished_at=utcnow(), message=reason, output_key=None)
        )
    if key:
        outputs.delete(key)
    logger.warning("job %s failed: %s", job_id, reason)


def stale_before() -> Any:
    return utcnow() - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
