"""The queue: Huey on Redis when RISKREG_REDIS_URL is set, else on a SQLite file in the instance
folder (the embedded default needs nothing more). One instance per app, its tasks bound to it.

Huey only carries "run job N" and the worker's schedule; the job itself is a row (jobs.models).
Tests run in Huey's immediate mode (JOBS_IMMEDIATE): a job runs inside the request that asked.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, has_request_context
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper

from riskreg.extensions import db
from riskreg.jobs.models import JobKind
from riskreg.modeling import utcnow

logger = logging.getLogger(__name__)


@dataclass
class Queue:
    huey: Huey
    run_job: TaskWrapper

    @property
    def backend(self) -> str:
        return "immediate" if self.huey.immediate else type(self.huey).__name__


def make_huey(config: dict[str, Any], instance_path: str) -> Huey:
    name = config["JOBS_QUEUE_NAME"]
    if config["JOBS_IMMEDIATE"]:
        return Huey(name, results=False, immediate=True)  # in memory, run at once
    if config.get("REDIS_URL"):
        return RedisHuey(name, url=config["REDIS_URL"], results=False)
    path = config.get("JOBS_QUEUE_FILE") or str(Path(instance_path) / "jobs-queue.sqlite")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=path, results=False)


def init_app(app: Flask) -> None:
    huey = make_huey(app.config, app.instance_path)

    @huey.task(name="riskreg.jobs.run")
    def run_job(job_id: int, request_id: str | None = None) -> None:
        from riskreg.jobs import runner
        from riskreg.jobs.handlers import HANDLERS
        from riskreg.observability.request_id import bound_request_id

        def work() -> None:
            with app.app_context(), bound_request_id(request_id):
                runner.run(job_id, HANDLERS)

        if has_request_context():
            # Immediate mode, inside the request that asked: run as a worker would, outside it (a
            # writing request's transactions take SQLite's write lock the job's progress needs).
            thread = threading.Thread(target=work, name=f"job-{job_id}")
            thread.start()
            thread.join()
        else:
            work()

    @huey.periodic_task(crontab(minute="*"), name="riskreg.jobs.reap")
    def reap() -> None:
        from riskreg.jobs import services

        with app.app_context():
            services.reap()
            services.purge_expired()

    if app.config["JOBS_SCHEDULE"]:
        _schedule(app, huey)
    app.extensions["riskreg.jobs"] = Queue(huey, run_job)
    from riskreg.jobs import monitoring

    monitoring.register(app, huey)


def _schedule(app: Flask, huey: Huey) -> None:
    """The runs that were cron lines, now on the worker; each is a job (user: none) seen on /jobs."""
    hour = app.config["JOBS_DAILY_HOUR"]

    def scheduled(kind: JobKind, only_if=None):  # noqa: ANN001, ANN202 (a small local factory)
        def task() -> None:
            from riskreg.jobs import runner, services
            from riskreg.jobs.handlers import HANDLERS

            with app.app_context():
                if only_if is not None and not only_if():
                    return  # nothing waiting: no job row every minute
                job = services.create(kind, None, {})
                db.session.commit()
                runner.run(job.id, HANDLERS)

        return task

    huey.periodic_task(crontab(minute="0", hour=str(hour)), name="riskreg.jobs.reminders")(
        scheduled(JobKind.REMINDERS)
    )
    huey.periodic_task(crontab(minute="30", hour=str(hour)), name="riskreg.jobs.indicators")(
        scheduled(JobKind.INDICATORS_REFRESH)
    )
    huey.periodic_task(crontab(minute="*/5"), name="riskreg.jobs.mail_retry")(
        scheduled(JobKind.MAIL_RETRY, _mail_waiting)
    )
    huey.periodic_task(crontab(minute="*"), name="riskreg.jobs.webhooks")(
        scheduled(JobKind.WEBHOOKS_DELIVER, _deliveries_due)
    )


def _mail_waiting() -> bool:
    from riskreg import mail

    return mail.queued_count() > 0


def _deliveries_due() -> bool:
    from riskreg.webhooks.models import WebhookDelivery

    due = sa.select(WebhookDelivery.id).where(
        WebhookDelivery.next_attempt_at.is_not(None), WebhookDelivery.next_attempt_at <= utcnow()
    )
    return db.session.scalar(due.limit(1)) is not None
