"""Background jobs in Huey's immediate mode (TestConfig): a large export as a job, its page, its
file for its asker only, retry, the reaper, and the schedule's jobs run by an admin.
Real workers (SQLite and Redis queues, a killed worker): tests/test_jobs_worker.py."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth import permissions
from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.jobs import outputs, services
from riskreg.jobs.models import Job, JobKind, JobState
from riskreg.modeling import utcnow
from tests.jobs_support import job_count, job_row, output_files, start_export


@pytest.fixture
def app(app):
    app.config["EXPORT_INLINE_MAX_RISKS"] = 2  # three risks make a "large" export
    return app


@pytest.fixture
def register(make_risk, make_site):
    site = make_site(name="North pit")
    for title in ("Encroachment", "Mercury", "Child labour"):
        make_risk(title=title, site_id=site.id)


def sheet_rows(data: bytes, sheet: str = "Register") -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return list(wb[sheet].iter_rows(values_only=True))


def test_small_export_still_answers_at_once(clients, make_risk):
    make_risk()
    response = clients["executive"].get("/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert job_count() == 0


def test_large_export_runs_as_a_job_with_progress_and_a_download(clients, users, register):
    from riskreg.exports import xlsx

    client = clients["executive"]
    job_id = start_export(client, "site=&status=open")
    job = job_row(job_id)
    assert job.state is JobState.DONE and job.kind is JobKind.EXPORT
    assert job.user_id == users["executive"].id and job.parameters == {"query": "site=&status=open"}
    # Three risks, no controls, their bowtie lines: each written, then saved into the file.
    assert job.done == job.total
    assert job.expires_at - job.created_at == timedelta(hours=24)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Download riskreg-register-" in page and f"/jobs/{job_id}/download" in page
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    data = response.get_data()
    rows = sheet_rows(data)
    response.close()
    assert sorted(r[1] for r in rows[1:]) == ["Child labour", "Encroachment", "Mercury"]
    assert job.total == 2 * (3 + len(sheet_rows(data, "Bowtie")) - 1) + len(xlsx.SHEETS)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "job")).one()
    assert (event.action, event.entity_id, event.actor_id) == ("start", job_id, users["executive"].id)
    assert "/jobs/" in client.get("/jobs").get_data(as_text=True)


def test_progress_is_written_while_the_rows_are(clients, register, make_risk, monkeypatch):
    from riskreg.exports import context
    from riskreg.jobs import runner

    for n in range(5):
        make_risk(title=f"More {n}")
    monkeypatch.setattr(context, "PROGRESS_ROWS", 1)
    monkeypatch.setattr(runner, "PROGRESS_EVERY", 0)  # every row, to see each one written
    seen: list[int] = []

    def record(conn, cursor, statement, parameters, *args) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS") and isinstance(parameters, dict | tuple):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            seen.extend(v for v in values if isinstance(v, int) and not isinstance(v, bool) and v < 100)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        job_id = start_export(clients["executive"])
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert job_row(job_id).state is JobState.DONE
    assert set(range(1, 9)) <= set(seen)  # 8 risks: each count of rows written reached the row


def test_progress_moves_in_every_long_phase_of_the_export(clients, users, register, make_risk, monkeypatch):
    """The bar moves while each long sheet is written and while the workbook is zipped, not only
    during the Register: the value the polling script reads rises inside each phase."""
    from riskreg.exports import context, xlsx
    from riskreg.jobs import runner
    from tests.controls_support import new_control

    risks = [make_risk(title=f"Line {n}") for n in range(4)]
    for n in range(3):
        new_control(users["risk_manager"], risks=risks, title=f"Patrols {n}")
    db.session.commit()
    monkeypatch.setattr(context, "PROGRESS_ROWS", 1)
    monkeypatch.setattr(runner, "PROGRESS_EVERY", 0)
    monkeypatch.setattr(xlsx, "SAVE_CHUNK", 256)  # many chunks even for a small workbook
    written: list[tuple[str, int]] = []  # (the phase, the value) at every write of the job's row
    phase = {"now": ""}
    original = runner._update

    def record(engine, job_id, *where, **values):  # noqa: ANN001, ANN202
        phase["now"] = values.get("message", phase["now"])
        if isinstance(values.get("done"), int):  # (the finish writes an SQL expression)
            written.append((phase["now"], values["done"]))
        return original(engine, job_id, *where, **values)

    monkeypatch.setattr(runner, "_update", record)
    job_id = start_export(clients["executive"])
    job = job_row(job_id)
    assert job.state is JobState.DONE and job.done == job.total
    values = [value for _, value in written]
    assert values == sorted(values)  # never backwards
    sheets = [message for message, _ in written if message.endswith(" sheet")]
    assert len(set(sheets)) == len(xlsx.SHEETS)  # each sheet moved the value at least once
    for name in ("register", "controls", "bowtie"):
        during = {value for message, value in written if message == f"Writing the {name} sheet"}
        assert len(during) > 2, (name, during)
    saving = [value for message, value in written if message == "Saving the workbook"]
    assert len(set(saving)) > 2 and saving[-1] == job.total
    status = clients["executive"].get(f"/jobs/{job_id}/status").get_json()
    assert status["unit"] == ""  # rows counted twice: the page shows the percentage alone


def test_the_page_works_without_javascript_and_loads_the_polling_script(clients, users):
    job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    db.session.commit()  # queued, never run: the page of a job waiting for a worker
    page = clients["executive"].get(f"/jobs/{job.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'href="/jobs/{job.id}">reload it</a>' in page
    assert re.search(r'<script src="/static/js/jobs\.js\?v=[0-9a-f]+" defer></script>', page)
    assert "<script>" not in page
    status = clients["executive"].get(f"/jobs/{job.id}/status").get_json()
    assert status["state"] == "queued" and status["finished"] is False
    script = clients["executive"].get("/static/js/jobs.js")
    script.close()
    assert script.status_code == 200


def test_a_job_and_its_file_are_only_for_the_user_who_asked(clients, users, register):
    job_id = start_export(clients["executive"])
    for role in ("risk_manager", "department_head"):
        assert clients[role].get(f"/jobs/{job_id}").status_code == 404
        assert clients[role].get(f"/jobs/{job_id}/status").status_code == 404
        assert clients[role].get(f"/jobs/{job_id}/download").status_code == 404
        assert clients[role].post(f"/jobs/{job_id}/retry").status_code == 404
        assert f"/jobs/{job_id}" not in clients[role].get("/jobs").get_data(as_text=True)
    # An admin sees every job (?all=1) and its page, but never downloads someone else's file.
    admin = clients["admin"]
    assert f"/jobs/{job_id}" in admin.get("/jobs?all=1").get_data(as_text=True)
    page = admin.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "only the user who asked can download it" in page and "/download" not in page
    response = admin.get(f"/jobs/{job_id}/download")
    assert response.status_code == 403 and "Only the user who asked" in response.get_data(as_text=True)


def test_a_user_who_lost_the_right_to_export_is_refused_the_file(clients, users, register, monkeypatch):
    job_id = start_export(clients["executive"])
    without = permissions.ROLE_PERMISSIONS[Role.EXECUTIVE] - {permissions.Permission.EXPORT}
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.EXECUTIVE, without)
    response = clients["executive"].get(f"/jobs/{job_id}/download")
    assert response.status_code == 403
    assert "no longer allowed" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "Download" not in clients["executive"].get(f"/jobs/{job_id}").get_data(as_text=True)
    before = job_count()
    clients["executive"].post(f"/jobs/{job_id}/retry")
    assert job_count() == before  # nor run again


def test_a_job_whose_asker_lost_the_right_before_it_ran_fails_and_writes_nothing(app, users, monkeypatch):
    job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    db.session.commit()
    without = permissions.ROLE_PERMISSIONS[Role.EXECUTIVE] - {permissions.Permission.EXPORT}
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.EXECUTIVE, without)
    services.enqueue(job.id)
    job = job_row(job.id)
    assert job.state is JobState.FAILED and "no longer allowed" in job.message
    assert output_files(app) == []


def test_a_failed_job_is_retried_in_one_click(app, clients, users, make_risk):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production (signed in without it)
    user, client = users["executive"], clients["executive"]
    make_risk()
    job = services.create(JobKind.EXPORT, user, {"query": "status=nonsense"})  # saved before a rule changed
    db.session.commit()
    services.enqueue(job.id)
    failed = job_row(job.id)
    assert failed.state is JobState.FAILED and "filters are not valid" in failed.message
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Retry</button>" in page
    assert client.post(f"/jobs/{job.id}/retry").status_code == 400  # no CSRF token: refused
    assert job_count() == 1
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(parameters={"query": "status=open"}))
    db.session.commit()  # (the retry takes the job's parameters as they are now)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/jobs/{job.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    again = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert again.state is JobState.DONE and again.retry_of_id == job.id
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "retry")).one()
    assert (event.entity_id, event.actor_id) == (again.id, user.id)
    download = client.get(f"/jobs/{again.id}/download")
    download.close()
    assert download.status_code == 200


def test_a_bad_filter_is_refused_before_anything_is_queued(clients, register):
    response = clients["executive"].post("/export.xlsx", data={"query": "status=nonsense"})
    assert response.status_code == 400 and "status" in response.get_data(as_text=True)
    assert job_count() == 0


def test_the_reaper_fails_a_job_whose_worker_stopped_and_removes_its_partial_file(app, users):
    job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    db.session.flush()
    key = outputs.new_key(job.id, "xlsx")
    stale = utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 5)
    job.state, job.heartbeat_at, job.output_key, job.worker = JobState.RUNNING, stale, key, "elsewhere:1"
    db.session.commit()
    # A worker killed after saving its file but before marking the job done leaves the file behind
    # (one killed while writing leaves nothing: it writes to an unlinked temporary file).
    outputs.save(key, b"a workbook nobody was told about")
    assert output_files(app) != []
    fresh = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    fresh.state, fresh.heartbeat_at, fresh.worker = JobState.RUNNING, utcnow(), "elsewhere:2"
    db.session.commit()
    assert services.reap() == [job.id]  # the one still beating is left alone
    reaped = job_row(job.id)
    assert reaped.state is JobState.FAILED and "stopped" in reaped.message and reaped.output_key is None
    assert output_files(app) == []
    assert job_row(fresh.id).state is JobState.RUNNING


def test_a_file_is_removed_after_its_24_hours(app, clients, register):
    job_id = start_export(clients["executive"])
    assert len(output_files(app)) == 1
    db.session.execute(
        sa.update(Job).where(Job.id == job_id).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    assert clients["executive"].get(f"/jobs/{job_id}/download").status_code == 404
    assert services.purge_expired() == 1
    assert output_files(app) == [] and job_row(job_id).output_key is None
    assert "no longer available" in clients["executive"].get(f"/jobs/{job_id}").get_data(as_text=True)


def test_a_job_row_is_purged_with_its_file_past_retention_and_audited(app, clients, users, register):
    """Files go after 24 hours, rows after JOBS_KEEP_DAYS: a retry's link to a purged job is cleared,
    the recent and the unfinished stay, and the purge of a job a person asked for is audited."""
    old_id = start_export(clients["executive"])
    retry_id = services.retry(job_row(old_id), users["executive"])
    keep = timedelta(days=app.config["JOBS_KEEP_DAYS"])
    queued = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    scheduled = services.create(JobKind.REMINDERS, None, {})
    db.session.flush()
    queued_id, scheduled_id = queued.id, scheduled.id
    long_ago = utcnow() - keep - timedelta(hours=1)
    db.session.execute(
        sa.update(Job)
        .where(Job.id.in_([old_id, queued_id, scheduled_id]))
        .values(created_at=long_ago, finished_at=long_ago)
    )
    db.session.execute(sa.update(Job).where(Job.id == scheduled_id).values(state=JobState.FAILED))
    db.session.commit()
    assert len(output_files(app)) == 2  # the old export's file and its retry's (both within 24 h)
    services.purge_expired()
    assert (
        job_count() == 2 and db.session.get(Job, old_id) is None and db.session.get(Job, scheduled_id) is None
    )
    assert job_row(retry_id).retry_of_id is None and job_row(queued_id).state is JobState.QUEUED
    assert output_files(app) == [job_row(retry_id).output_key]
    purges = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "purge")).all()
    assert [(e.entity, e.entity_id, e.actor_id) for e in purges] == [("job", old_id, None)]
    assert purges[0].changes["state"] == ["done", None]
    assert clients["executive"].get(f"/jobs/{old_id}").status_code == 404
    assert clients["executive"].get(f"/jobs/{retry_id}").status_code == 200


def test_half_written_files_of_a_dead_writer_are_swept_never_one_being_written(app, tmp_path):
    """A save that fails removes its own partial file; one whose process died leaves it: the
    cleanup removes it once old, and never a file whose writer still holds it (its lock)."""
    import fcntl
    import os

    from riskreg.storage.local import LocalStorage

    root = Path(app.config["UPLOAD_DIR"])
    folder = root / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    dead = folder / ".job-1-aaaa.xlsx.0123abcd.partial"
    dead.write_bytes(b"half a workbook")
    busy = root / "evidence" / ".proof.pdf.89abcdef.partial"
    busy.parent.mkdir(parents=True, exist_ok=True)
    busy.write_bytes(b"still coming")
    young = folder / ".job-2-bbbb.xlsx.00000000.partial"
    young.write_bytes(b"just started")
    kept = folder / "job-3-cccc.xlsx"  # a saved file, however old, is not a partial one
    kept.write_bytes(b"a workbook")
    hour_ago = time.time() - 2 * 3600
    for path in (dead, busy, kept):
        os.utime(path, (hour_ago, hour_ago))
    holder = os.open(busy, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as LocalStorage.save holds it while writing
    try:
        assert services.sweep_partials() == ["jobs/.job-1-aaaa.xlsx.0123abcd.partial"]
    finally:
        os.close(holder)
    assert not dead.exists() and busy.exists() and young.exists() and kept.exists()
    assert services.sweep_partials() == ["evidence/.proof.pdf.89abcdef.partial"]  # its writer gone
    # A save in progress holds its lock: a sweep meanwhile, however old the file looks, keeps it.
    local = LocalStorage(root)
    seen: list[list[str]] = []

    class Slow(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            chunk = super().read(size)
            if chunk:
                for partial in folder.glob(".job-4-*.partial"):
                    os.utime(partial, (hour_ago, hour_ago))
                seen.append(local.sweep_partials(0))
            return chunk

    local.save("jobs/job-4-dddd.xlsx", Slow(b"x" * 10))
    assert (
        seen
        and not any("job-4" in key for found in seen for key in found)
        and (folder / "job-4-dddd.xlsx").exists()
    )


def test_an_admin_runs_a_scheduled_job_now(clients, users):
    response = clients["admin"].post("/jobs/run", data={"kind": "reminders"})
    assert response.status_code == 302
    job = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.state is JobState.DONE and job.kind is JobKind.REMINDERS, job.message
    assert "control digests: 0" in job.message and (job.done, job.total) == (5, 5)
    assert clients["admin"].post("/jobs/run", data={"kind": "export"}).status_code == 302  # not a choice
    assert clients["risk_manager"].post("/jobs/run", data={"kind": "reminders"}).status_code == 403
    assert job_count() == 1


def test_a_queue_that_cannot_be_reached_fails_the_job_with_the_reason(app, clients, register, monkeypatch):
    def down(job_id: int) -> None:
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(app.extensions["riskreg.jobs"], "run_job", down)
    response = clients["executive"].post("/export.xlsx", data={"query": ""})
    assert response.status_code == 302  # to the job's page, not an error page
    job = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.state is JobState.FAILED and "queue could not be reached" in job.message
    assert "Retry</button>" in clients["executive"].get(f"/jobs/{job.id}").get_data(as_text=True)


def test_a_job_no_worker_took_within_its_24_hours_fails(app, users):
    job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    job.expires_at = utcnow() - timedelta(seconds=1)
    waiting = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    db.session.commit()
    services.reap()
    assert job_row(job.id).state is JobState.FAILED and "No worker took" in job_row(job.id).message
    assert job_row(waiting.id).state is JobState.QUEUED


def test_an_unexpected_error_is_named_without_its_internals(app, users, monkeypatch):
    from riskreg.exports import xlsx

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(xlsx, "export_register", broken)
    job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    db.session.commit()
    services.enqueue(job.id)
    failed = job_row(job.id)
    assert failed.state is JobState.FAILED and "unexpected error (RuntimeError)" in failed.message
    assert "secret" not in failed.message and output_files(app) == []


@pytest.mark.parametrize("kind", [k.value for k in services.SCHEDULED])
def test_each_scheduled_job_runs(clients, kind):
    response = clients["admin"].post("/jobs/run", data={"kind": kind})
    job = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.state is JobState.DONE and job.user_id is not None, job.message
    assert job.finished_at is not None and job.worker


def test_the_worker_runs_the_schedule_unless_told_not_to(tmp_path):
    from riskreg.jobs.queue import make_huey

    names = {"reminders", "indicators", "mail_retry", "webhooks", "reap"}

    def periodic(schedule: bool) -> set[str]:
        from tests.conftest import make_config

        config = make_config(
            JOBS_IMMEDIATE=False, JOBS_SCHEDULE=schedule, JOBS_QUEUE_FILE=str(tmp_path / "q.db")
        )
        from riskreg import create_app

        app = create_app(config)
        huey = app.extensions["riskreg.jobs"].huey
        assert isinstance(huey, type(make_huey(config, str(tmp_path))))
        with app.app_context():
            db.engine.dispose()
        return {task.name.rsplit(".", 1)[1] for task in huey._registry.periodic_tasks}

    assert periodic(True) == names
    assert periodic(False) == {"reap"}  # the reaper always runs


def test_the_heartbeat_beats_while_the_handler_runs(app, users):
    from riskreg.jobs.runner import Heartbeat

    job = services.create(JobKind.EXPORT, users["executive"], {"query": ""})
    job.state, job.heartbeat_at = JobState.RUNNING, utcnow() - timedelta(hours=1)
    db.session.commit()
    beat = Heartbeat(db.engine, job.id, 0.05)
    beat.start()
    try:
        deadline = utcnow() + timedelta(seconds=60)
        while job_row(job.id).heartbeat_at < utcnow() - timedelta(minutes=1) and utcnow() < deadline:
            time.sleep(0.02)
    finally:
        beat.stop()
    assert job_row(job.id).heartbeat_at > utcnow() - timedelta(minutes=1)
    assert services.reap() == []  # a beating job is not reaped


def test_the_worker_command_refuses_immediate_mode(runner):
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code != 0 and "JOBS_IMMEDIATE" in result.output
