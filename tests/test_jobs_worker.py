"""Real workers: `flask jobs worker` in its own process, on a SQLite queue and on Redis (db 2),
runs a job started from the web app; a worker killed mid-job leaves it failed with the reason and
no file, and its retry completes on the next worker. The app's database is the tests' (SQLite, or
PostgreSQL with RISKREG_TEST_DATABASE_URL)."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
import redis
import sqlalchemy as sa

from riskreg.config import ROOT
from riskreg.extensions import db
from riskreg.jobs.models import Job, JobState
from tests.conftest import running_app
from tests.jobs_support import job_row, output_files, start_export

REDIS_URL = "redis://127.0.0.1:6379/2"
DEADLINE = 180  # seconds a worker gets for a step on a loaded machine (a hang fails, never a slow run)


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, tmp_path) -> dict[str, str]:
    if request.param == "redis" and not redis_up():
        pytest.fail("Redis is not answering on 127.0.0.1:6379 (these tests need it)")
    name = f"riskreg-test-{uuid.uuid4().hex[:8]}"
    if request.param == "redis":
        return {"JOBS_QUEUE_NAME": name, "REDIS_URL": REDIS_URL}
    return {"JOBS_QUEUE_NAME": name, "JOBS_QUEUE_FILE": str(tmp_path / "queue.sqlite")}


@pytest.fixture
def app(tmp_path, queue) -> Iterator:
    overrides = {"JOBS_IMMEDIATE": False, "JOBS_SCHEDULE": False, "EXPORT_INLINE_MAX_RISKS": 0, **queue}
    for app in running_app(tmp_path, **overrides):
        yield app
        app.extensions["riskreg.jobs"].huey.flush()  # Redis keeps a test's queue otherwise


class Worker:
    """`flask jobs worker` in a process of its own, configured like the app under test."""

    def __init__(self, app, log: Path) -> None:
        config = app.config
        env = {
            **os.environ,
            "RISKREG_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "RISKREG_UPLOAD_DIR": config["UPLOAD_DIR"],
            "RISKREG_SECRET_KEY": "worker-under-test",
            "RISKREG_JOBS_QUEUE_NAME": config["JOBS_QUEUE_NAME"],
            "RISKREG_JOBS_SCHEDULE": "false",
        }
        for key in ("REDIS_URL", "JOBS_QUEUE_FILE"):
            if config.get(key):
                env[f"RISKREG_{key}"] = config[key]
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "1"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # graceful: finish, then exit
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def workers(app, tmp_path) -> Iterator[Callable[[], Worker]]:
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(app, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(state: JobState, job_id: int, worker: Worker) -> Job:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        job = job_row(job_id)
        if job.state is state:
            return job
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}):\n{worker.output()}")
        time.sleep(0.1)
    pytest.fail(
        f"job {job_id} is {job_row(job_id).state}, not {state}, after {DEADLINE} s:\n{worker.output()}"
    )


def download(client, job_id: int) -> list[tuple]:
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_data()
    response.close()
    return list(
        openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Register"].iter_rows(values_only=True)
    )


def test_a_job_started_on_the_web_is_run_by_the_worker_and_downloaded(clients, make_risk, workers):
    for title in ("Encroachment", "Mercury"):
        make_risk(title=title)
    job_id = start_export(clients["executive"])  # queued: no worker is running yet
    assert job_row(job_id).state is JobState.QUEUED
    page = clients["executive"].get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Waiting for a worker" in page and "<progress" in page
    worker = workers()  # the queue outlived the request: it is in SQLite or Redis, not in memory
    job = wait_for(JobState.DONE, job_id, worker)
    assert job.worker and job.worker.endswith(f":{worker.process.pid}")
    # Two risks, their bowtie lines, written then saved, and one step per sheet (xlsx.progress_total).
    assert job.done == job.total and job.total > 2 * 2
    assert sorted(row[1] for row in download(clients["executive"], job_id)[1:]) == ["Encroachment", "Mercury"]


@pytest.fixture
def large_register(app) -> int:
    from werkzeug.datastructures import MultiDict

    from riskreg.exports import queries
    from riskreg.risks.filters import parse_risk_filters
    from riskreg.seeding import scale

    created = scale.seed_scale(
        scale.ScaleOptions(risks=3000, controls_per_risk=1, audit_events_per_risk=0, sites=5, users=5),
        allow_real_data=True,
    )
    db.session.commit()
    assert created["risks"] == 3000
    return queries.risk_count(parse_risk_filters(MultiDict()))  # the register's default filters


class JobsLock:
    """Holds the write lock of the jobs table (SQLite: the database's) so a running job's next write
    waits: the job is caught mid-way, deterministically, however fast the machine."""

    def __init__(self, app) -> None:
        self.url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if self.url.get_backend_name() == "sqlite":
            self.conn: object = sqlite3.connect(self.url.database, timeout=60, isolation_level=None)
        else:
            self.engine = sa.create_engine(self.url)
            self.conn = self.engine.connect()

    def take_while(self, job_id: int, condition: Callable[[str, int], bool]) -> None:
        """Poll the job under the lock until `condition(state, done)` holds, and keep the lock."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            state, done = self._locked_state(job_id)
            if condition(state, done):
                return
            self.release()
            time.sleep(0.02)
        pytest.fail(f"job {job_id} never reached the state looked for")

    def _locked_state(self, job_id: int) -> tuple[str, int]:
        query = f"SELECT state, done FROM jobs WHERE id = {int(job_id)}"  # noqa: S608 (an int)
        if isinstance(self.conn, sqlite3.Connection):
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn.execute(query).fetchone()
        self.conn.exec_driver_sql("LOCK TABLE jobs IN EXCLUSIVE MODE")
        return tuple(self.conn.exec_driver_sql(query).one())

    def release(self) -> None:
        if isinstance(self.conn, sqlite3.Connection):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        else:
            self.conn.rollback()

    def close(self) -> None:
        self.release()
        self.conn.close()


@pytest.mark.parametrize("queue", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_job_leaves_it_failed_with_no_file_and_retry_works(
    app, clients, large_register, workers
):
    client = clients["executive"]
    job_id = start_export(client)
    lock = JobsLock(app)
    try:
        worker = workers()
        # Running and rows written: the workbook is half-way through its temporary file, which is
        # not in the storage (an unlinked temporary: a killed worker leaves nothing behind).
        lock.take_while(job_id, lambda state, done: state == "running" and done > 0)
        assert output_files(app) == []
        worker.kill()
    finally:
        lock.close()
    job = job_row(job_id)
    assert job.state is JobState.RUNNING  # nobody has noticed yet
    assert client.get(f"/jobs/{job_id}/download").status_code == 404  # nothing partial is served
    second = workers()  # a worker starting reaps what a dead one left
    job = wait_for(JobState.FAILED, job_id, second)
    assert "stopped" in job.message and f":{worker.process.pid})" in job.message
    assert output_files(app) == []
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "stopped" in page and "Retry</button>" in page and "/download" not in page
    response = client.post(f"/jobs/{job_id}/retry")
    assert response.status_code == 302
    again = int(response.headers["Location"].rsplit("/", 1)[1])
    done = wait_for(JobState.DONE, again, second)
    assert done.total == done.done and done.retry_of_id == job_id
    assert len(download(client, again)) == large_register + 1  # the header and every risk exported
