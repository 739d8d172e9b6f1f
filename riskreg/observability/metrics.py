"""Prometheus metrics: requests per endpoint, mail failures, the database pool, and job queues.

Under gunicorn every worker counts in files under PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets
it) and a scrape of any worker adds them all up; elsewhere (flask run, tests) the counts live in
the process. Values read at scrape time (the mail outbox, job queues) come from the database or the
queue, so they are the same whichever worker or host is asked.

Job queues: the jobs feature registers a function per queue with `register_queue_stats(app,
name, stats)`; `stats()` returns a QueueStats (depth: jobs waiting, failed: failed jobs kept).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Pages answer in milliseconds; exports and imports in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180)

REQUESTS = Counter(
    "riskreg_http_requests",
    "Requests answered, by Flask endpoint (not path: a bounded set), method and status class.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "riskreg_http_request_duration_seconds",
    "Time from the first hook to the response, by Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=BUCKETS,
)
MAIL_SEND_FAILURES = Counter(
    "riskreg_mail_send_failures", "Attempts to hand a mail to the SMTP server that failed."
)
# livesum: under gunicorn the live workers' values are added up (a dead worker's are dropped).
POOL_CHECKED_OUT = Gauge(
    "riskreg_db_pool_checked_out",
    "Database connections in use by requests, summed over the live workers.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "riskreg_db_pool_size",
    "Database connections each worker keeps open at most (pool size), summed over the live workers.",
    multiprocess_mode="livesum",
)


@dataclass(frozen=True)
class QueueStats:
    depth: int  # jobs waiting to run
    failed: int  # failed jobs kept (for a retry or a look)


QueueStatsSource = Callable[[], QueueStats]
_QUEUES = "riskreg.metrics.queues"


def register_queue_stats(app: Flask, name: str, stats: QueueStatsSource) -> None:
    """Report a job queue's depth and failures on /metrics (the jobs feature calls this)."""
    app.extensions.setdefault(_QUEUES, {})[name] = stats


def status_class(code: int) -> str:
    return f"{code // 100}xx"


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUESTS.labels(endpoint, method, status_class(status)).inc()
    LATENCY.labels(endpoint, method).observe(seconds)


def count_mail_failure() -> None:
    MAIL_SEND_FAILURES.inc()


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class ReadAtScrape(Collector):
    """What the database and the queues say now: the mail outbox and each registered queue."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.mail()
        yield from self.queues()

    def mail(self) -> Iterator[GaugeMetricFamily]:
        from riskreg.extensions import db
        from riskreg.mail import MAX_ATTEMPTS, OutboxMessage

        unsent = OutboxMessage.sent_at.is_(None)
        up = "riskreg_mail_outbox_up"
        try:
            counts = db.session.execute(
                sa.select(
                    sa.func.count().filter(unsent),
                    sa.func.count().filter(unsent, OutboxMessage.attempts > 0),
                    sa.func.count().filter(unsent, OutboxMessage.attempts >= MAX_ATTEMPTS),
                )
            ).one()
        except sa.exc.SQLAlchemyError:  # the database is down: the counted metrics matter most now
            db.session.rollback()
            logger.warning("metrics: the mail outbox could not be read", exc_info=True)
            yield GaugeMetricFamily(up, "1 when the mail outbox was read for this scrape.", value=0)
            return
        db.session.rollback()
        yield GaugeMetricFamily(up, "1 when the mail outbox was read for this scrape.", value=1)
        for name, text, value in (
            ("riskreg_mail_queued", "Mails not yet accepted by the SMTP server.", counts[0]),
            ("riskreg_mail_failed", "Unsent mails whose last attempt failed.", counts[1]),
            ("riskreg_mail_given_up", "Unsent mails that `flask mail retry` no longer tries.", counts[2]),
        ):
            yield GaugeMetricFamily(name, text, value=value)

    def queues(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("riskreg_job_queue_depth", "Jobs waiting to run.", labels=["queue"])
        failed = GaugeMetricFamily("riskreg_job_queue_failed", "Failed jobs kept.", labels=["queue"])
        up = GaugeMetricFamily(
            "riskreg_job_queue_up", "1 when the queue answered this scrape.", labels=["queue"]
        )
        for name, source in sorted(self.app.extensions.get(_QUEUES, {}).items()):
            try:
                stats = source()
            except Exception:  # a queue that is down must not take /metrics with it
                logger.warning("metrics: job queue %s did not answer", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            depth.add_metric([name], stats.depth)
            failed.add_metric([name], stats.failed)
        yield from (depth, failed, up)


def exposition(app: Flask) -> bytes:
    """The text format: the counted metrics (every worker's under gunicorn), then the read ones."""
    if multiprocess():
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
        text = generate_latest(counted)
    else:
        from prometheus_client import REGISTRY

        text = generate_latest(REGISTRY)
    read = CollectorRegistry(auto_describe=False)
    read.register(ReadAtScrape(app))
    return text + generate_latest(read)


def configure(app: Flask) -> None:
    """Count the pool's connections as they are checked out and in (every engine of the app)."""
    from riskreg.extensions import db

    with app.app_context():
        engine = db.engine
    pool = engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        POOL_SIZE.set(size() + max(getattr(pool, "_max_overflow", 0), 0))

    @sa.event.listens_for(engine, "checkout")
    def _checkout(*_args) -> None:
        POOL_CHECKED_OUT.inc()

    @sa.event.listens_for(engine, "checkin")
    def _checkin(*_args) -> None:
        POOL_CHECKED_OUT.dec()
