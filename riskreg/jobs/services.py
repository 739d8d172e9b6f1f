"""Starting, retrying and reaping jobs; who may see, download and retry one (one home for each rule).

Authorisation: a job is its asker's. Admins also see every job (and those the worker's schedule
started) and may retry or start the scheduled kinds, but a job's file is only ever downloaded by
the user who asked for it, and only while they still have the right the job needs.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from riskreg import audit, storage
from riskreg.auth.models import Role
from riskreg.auth.permissions import Permission, has_permission
from riskreg.extensions import db
from riskreg.jobs import outputs, runner
from riskreg.jobs.models import FINISHED, Job, JobKind, JobState
from riskreg.jobs.runner import stale_before
from riskreg.modeling import utcnow
from riskreg.observability.request_id import current_request_id
from riskreg.storage.local import LocalStorage

logger = logging.getLogger(__name__)

KEEP_OUTPUT = timedelta(hours=24)
# The right a job needs, checked when it is asked for, when it runs and when its file is downloaded.
REQUIRED: dict[JobKind, Permission] = {
    JobKind.EXPORT: Permission.EXPORT,
    JobKind.IMPORT: Permission.IMPORT,
    JobKind.OBSERVATIONS_IMPORT: Permission.IMPORT,
    JobKind.INDICATORS_REFRESH: Permission.MANAGE_REFERENCE,
    JobKind.REMINDERS: Permission.MANAGE_REFERENCE,
    JobKind.MAIL_RETRY: Permission.MANAGE_REFERENCE,
    JobKind.WEBHOOKS_DELIVER: Permission.MANAGE_REFERENCE,
}
SCHEDULED = (JobKind.INDICATORS_REFRESH, JobKind.REMINDERS, JobKind.MAIL_RETRY, JobKind.WEBHOOKS_DELIVER)


def create(kind: JobKind, user: Any, parameters: dict[str, Any], retry_of: Job | None = None) -> Job:
    """A queued job, audited when a person asked for it; the caller commits, then enqueue()s."""
    now = utcnow()
    job = Job(
        kind=kind,
        user_id=getattr(user, "id", None),
        parameters=parameters,
        state=JobState.QUEUED,
        message="Waiting for a worker",
        created_at=now,
        expires_at=now + KEEP_OUTPUT,
        retry_of_id=retry_of.id if retry_of is not None else None,
    )
    db.session.add(job)
    db.session.flush()
    if user is not None:
        changes = {"kind": [None, kind.value], "parameters": [None, parameters], "state": [None, "queued"]}
        action, note = ("retry", f"Retry of job {retry_of.id}") if retry_of is not None else ("start", "")
        audit.record("job", job.id, action, user, changes, note)
    return job


def enqueue(job_id: int) -> None:
    """After the commit: the worker must find the row it is told to run. (Nothing may touch the
    session in between: in immediate mode the job runs right here, and on SQLite a writing
    request's new transaction would hold the lock the job needs.) A queue that cannot be reached
    fails the job with the reason, on its page, rather than the request."""
    try:
        # The job's log lines and mails carry the id of the request that queued it.
        current_app.extensions["riskreg.jobs"].run_job(job_id, current_request_id())
    except Exception as error:  # noqa: BLE001 (Redis down, a full disk: any of them, said on the page)
        logger.exception("job %s could not be queued", job_id)
        runner.fail(
            job_id, f"The job queue could not be reached ({type(error).__name__}); nothing ran. Retry later."
        )


def start(kind: JobKind, user: Any, parameters: dict[str, Any]) -> int:
    job_id = create(kind, user, parameters).id
    db.session.commit()
    enqueue(job_id)
    return job_id


def retry(job: Job, user: Any) -> int:
    """A new job with the same parameters (the old one stays as it ended, for the record)."""
    again = create(job.kind, user if job.user_id is not None else None, dict(job.parameters), retry_of=job)
    if job.user_id is None:  # a scheduled job retried by an admin: audited as theirs
        audit.record(
            "job", again.id, "retry", user, {"kind": [None, job.kind.value]}, f"Retry of job {job.id}"
        )
    again_id = again.id
    db.session.commit()
    enqueue(again_id)
    return again_id


def can_see(user: Any, job: Job) -> bool:
    return job.user_id == user.id or user.role is Role.ADMIN


def can_retry(user: Any, job: Job) -> bool:
    if not job.finished:
        return False
    if job.user_id is None:
        return user.role is Role.ADMIN
    return job.user_id == user.id and has_permission(user, REQUIRED[job.kind])


def may_download(user: Any, job: Job) -> bool:
    """The asker only, with the right still theirs."""
    return job.user_id == user.id and has_permission(user, REQUIRED[job.kind])


def downloadable(job: Job) -> bool:
    return job.state is JobState.DONE and job.output_key is not None and job.expires_at > utcnow()


def reap(starting: bool = False) -> list[int]:
    """Fail running jobs whose worker stopped beating (killed, or its host gone), and remove what
    they had written; and queued jobs no worker took within their 24 hours. Run when a worker
    starts (`starting`: a job recorded under this very process id is a dead predecessor's) and
    every minute by the worker's schedule."""
    limit = stale_before()
    stale = db.session.execute(
        sa.select(Job.id, Job.output_key, Job.heartbeat_at, Job.worker).where(
            Job.state == JobState.RUNNING, sa.or_(Job.heartbeat_at < limit, Job.heartbeat_at.is_(None))
        )
    ).all()
    dead = [row for row in _running_here(starting) if row.id not in {s.id for s in stale}]
    reaped = []
    for row in [*stale, *dead]:
        since = row.heartbeat_at.isoformat(timespec="seconds") if row.heartbeat_at else "its start"
        reason = (
            f"The worker running this job ({row.worker or 'unknown'}) stopped: no sign of it since "
            f"{since} UTC. Nothing it wrote is kept; retry the job."
        )
        done = db.session.execute(
            sa.update(Job)
            .where(Job.id == row.id, Job.state == JobState.RUNNING)
            .values(state=JobState.FAILED, finished_at=utcnow(), message=reason, output_key=None)
        ).rowcount
        if done:
            reaped.append(row.id)
    db.session.execute(
        sa.update(Job)
        .where(Job.state == JobState.QUEUED, Job.expires_at <= utcnow())
        .values(
            state=JobState.FAILED,
            finished_at=utcnow(),
            message="No worker took this job within 24 hours: is `flask jobs worker` running? Retry it.",
        )
    )
    db.session.commit()
    for row in [*stale, *dead]:
        if row.id in reaped and row.output_key:
            outputs.delete(row.output_key)
    if reaped:
        logger.warning("reaped jobs whose worker stopped: %s", reaped)
    return reaped


def _running_here(starting: bool) -> list[sa.Row]:
    """Running jobs of a worker process on this host that no longer exists: no need to wait."""
    host = socket.gethostname() + ":"
    rows = db.session.execute(
        sa.select(Job.id, Job.output_key, Job.heartbeat_at, Job.worker).where(
            Job.state == JobState.RUNNING, Job.worker.startswith(host, autoescape=True)
        )
    ).all()
    own = str(os.getpid()) if starting else None  # a restarted container may reuse the pid
    return [
        row
        for row in rows
        if row.worker.removeprefix(host) == own or not _alive(row.worker.removeprefix(host))
    ]


def _alive(pid_text: str) -> bool:
    if not pid_text.isdigit():
        return True  # not ours to judge
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def purge_expired() -> int:
    """Delete the files of jobs past their 24 hours, and any file no job points to (a crash); then
    the rows of jobs finished longer ago than JOBS_KEEP_DAYS, and the half-written files of the
    local storage folder that a killed process left. Returns the files of expired jobs removed."""
    removed = _expire_outputs()
    purge_old_jobs()
    sweep_partials()
    return removed


PURGE_BATCH = 500  # rows deleted per transaction: never one long lock on the jobs table


def purge_old_jobs() -> int:
    """Delete finished jobs (and any file left to them) past their retention; a job a person asked
    for was audited when started, so its removal is audited too (by no one: the schedule)."""
    keep = timedelta(days=current_app.config["JOBS_KEEP_DAYS"])
    ended = sa.func.coalesce(Job.finished_at, Job.created_at)
    purged = 0
    while True:
        rows = db.session.execute(
            sa.select(Job.id, Job.kind, Job.state, Job.user_id, Job.output_key)
            .where(Job.state.in_(FINISHED), ended < utcnow() - keep)
            .order_by(Job.id)
            .limit(PURGE_BATCH)
        ).all()
        if not rows:
            return purged
        ids = [row.id for row in rows]
        for row in rows:
            if row.user_id is not None:
                changes = {"kind": [row.kind.value, None], "state": [row.state.value, None]}
                audit.record("job", row.id, "purge", None, changes, f"Kept {keep.days} days after it ended")
        # SQLite may run without foreign keys: a retry's link to a purged job is cleared here.
        db.session.execute(sa.update(Job).where(Job.retry_of_id.in_(ids)).values(retry_of_id=None))
        db.session.execute(sa.delete(Job).where(Job.id.in_(ids)))
        db.session.commit()
        for row in rows:
            if row.output_key:
                outputs.delete(row.output_key)
        purged += len(rows)
        logger.info("purged %s job(s) finished more than %s days ago", len(rows), keep.days)


PARTIAL_GRACE = timedelta(hours=1)  # a half-written file untouched this long (and unlocked) is abandoned


def sweep_partials() -> list[str]:
    """The local folder's files left half-written by a process that died (whatever back end is
    current now: a folder migrated to the database may still hold some)."""
    removed = LocalStorage(storage.local_root()).sweep_partials(PARTIAL_GRACE.total_seconds())
    if removed:
        logger.warning("removed %s half-written file(s) of a stopped process: %s", len(removed), removed)
    return removed


def _expire_outputs() -> int:
    rows = db.session.execute(
        sa.select(Job.id, Job.output_key).where(Job.output_key.is_not(None), Job.expires_at <= utcnow())
    ).all()
    for row in rows:
        outputs.delete(row.output_key)
    if rows:
        db.session.execute(
            sa.update(Job).where(Job.id.in_([r.id for r in rows])).values(output_key=None, output_size=None)
        )
    db.session.commit()
    known = set(db.session.scalars(sa.select(Job.output_key).where(Job.output_key.is_not(None))))
    for key in outputs.keys():
        if key not in known:
            outputs.delete(key)
    return len(rows)
