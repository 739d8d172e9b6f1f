"""Helpers of the jobs tests: start a background export through the pages, read a job's row."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from riskreg.extensions import db
from riskreg.jobs.models import Job


def start_export(client: FlaskClient, query: str = "") -> int:
    """GET /export.xlsx (past the inline limit: the page offering the job), then its POST."""
    page = client.get(f"/export.xlsx{'?' + query if query else ''}")
    assert page.status_code == 200 and "Start the export" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    data = {"query": query, **({"csrf_token": token.group(1)} if token else {})}
    response = client.post("/export.xlsx", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def job_row(job_id: int) -> Job:
    db.session.rollback()  # a fresh snapshot: the job's row was written by other connections
    job = db.session.get(Job, job_id)
    assert job is not None
    db.session.refresh(job)
    return job


def output_files(app: Flask) -> list[str]:
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"]) / "jobs"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def job_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Job.id))) or 0
