"""The job queue seen from outside: its depth and failures on /metrics, its reachability in
/healthz?ready, and a job's log lines under the id of the request that queued it."""

from __future__ import annotations

import logging

import pytest

from riskreg.extensions import db
from riskreg.jobs import runner, services
from riskreg.jobs.models import Job, JobKind, JobState
from riskreg.observability import logs
from tests.conftest import running_app
from tests.jobs_support import start_export

TOKEN = "metrics-token-for-the-jobs-tests"


@pytest.fixture
def app(tmp_path):
    yield from running_app(tmp_path, METRICS_TOKEN=TOKEN, EXPORT_INLINE_MAX_RISKS=1)


def metrics(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_metrics_report_the_queue_depth_and_the_failures_of_the_last_day(app, users):
    for _ in range(2):
        job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
        job.state = JobState.FAILED
    db.session.commit()
    text = metrics(app.test_client())
    assert 'riskreg_job_queue_depth{queue="jobs"} 0.0' in text
    assert 'riskreg_job_queue_failed{queue="jobs"} 2.0' in text
    assert 'riskreg_job_queue_up{queue="jobs"} 1.0' in text


def test_readiness_names_the_job_queue_and_fails_when_it_does_not_answer(app, monkeypatch):
    ready = app.test_client().get("/healthz?ready")
    assert ready.status_code == 200
    assert ready.get_json()["jobs"] == "reachable, 0 waiting"

    def down() -> int:
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(app.extensions["riskreg.jobs"].huey, "pending_count", down)
    failed = app.test_client().get("/healthz?ready")
    assert failed.status_code == 503
    body = failed.get_json()
    assert body["failed"] == ["jobs"] and "does not answer (ConnectionError)" in body["jobs"]


def test_a_job_logs_under_the_request_id_that_queued_it(app, clients, make_risk, monkeypatch):
    make_risk()
    make_risk(title="A second risk, past the inline limit of one")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(logs.RequestIdFilter())  # as riskreg's own handler does, at emit time
    # The runner's own logger, replaced by one only this test configures (other tests set logging up).
    own = logging.Logger("tests.jobs.request-id", logging.INFO)
    own.addHandler(handler)
    monkeypatch.setattr(runner, "logger", own)
    client = clients["executive"]
    client.environ_base["HTTP_X_REQUEST_ID"] = "export-from-the-board-room"
    job_id = start_export(client)
    done = [r for r in records if f"job {job_id} done" in r.getMessage()]
    assert len(done) == 1, [r.getMessage() for r in records]
    assert done[0].request_id == "export-from-the-board-room"
    assert db.session.get(Job, job_id).state is JobState.DONE
