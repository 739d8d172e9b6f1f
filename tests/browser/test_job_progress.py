"""A background export in Chromium: the job's page moves its progress bar as the job's row moves
(the polling script, under the CSP: no inline script), then shows the download by itself."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.jobs import runner
from riskreg.jobs.handlers import HANDLERS
from riskreg.jobs.models import Job, JobState
from riskreg.modeling import utcnow
from tests.browser.words import enum_label, t

pytestmark = [pytest.mark.browser, pytest.mark.journey]

EXECUTIVE = "exec@example.com"


@pytest.fixture
def background_exports(live_server):
    config = live_server.app.config
    before = config["EXPORT_INLINE_MAX_RISKS"]
    config["EXPORT_INLINE_MAX_RISKS"] = 0  # the demo register is small: make it a job
    yield
    config["EXPORT_INLINE_MAX_RISKS"] = before


def set_row(live_server, job_id: int, **values) -> None:
    with live_server.session() as session:
        session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
        session.commit()


def test_the_progress_bar_moves_then_the_file_is_offered(
    page, browsing, live_server, sign_in, background_exports, tmp_path: Path
):
    sign_in(page, EXECUTIVE)
    page.goto("/export.xlsx?status=open")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Start the export")).click()
    job_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    expect(page.locator("[data-job-state]")).to_have_text(enum_label(JobState.QUEUED))  # no worker yet

    # The worker's progress, as it writes it: the bar follows without a reload.
    set_row(live_server, job_id, state=JobState.RUNNING, done=50, total=200, heartbeat_at=utcnow())
    bar = page.locator("section.job progress")
    expect(bar).to_have_attribute("max", "200")
    # An export counts its rows written then saved: its page shows the percentage, not "rows".
    expect(page.locator("[data-job-rows]")).to_have_text(
        t("%(done)s of %(total)s (%(percent)s%%)", done="50", total="200", percent=25)
    )
    assert bar.evaluate("bar => bar.value") == 50
    expect(page.locator("[data-job-state]")).to_have_text(enum_label(JobState.RUNNING))

    set_row(live_server, job_id, state=JobState.QUEUED, done=0, total=None)
    with live_server.app.app_context():
        runner.run(job_id, HANDLERS)  # the worker runs it for real
    download_link = page.get_by_role("link", name=re.compile("riskreg-register-"))
    expect(download_link).to_be_visible()  # the page reloaded itself when the job ended
    with page.expect_download() as info:
        download_link.click()
    target = tmp_path / "export.xlsx"
    info.value.save_as(target)
    with live_server.session() as session:
        job = session.get(Job, job_id)
        expected_rows = job.total
    sheet = openpyxl.load_workbook(target, read_only=True)
    long_sheets = (t("Register"), t("Controls"), t("Bowtie"))
    rows = sum(sum(1 for _ in sheet[name].iter_rows(min_row=2)) for name in long_sheets)
    assert 2 * rows + len(sheet.sheetnames) == expected_rows  # each written, then saved; a step per sheet
    assert browsing.errors == [] and browsing.offsite == []
