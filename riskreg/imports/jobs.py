"""The confirm of a large register import, on the jobs worker: the checks of imports/views.py's
confirm (the preview's file, still the same plan), then every row in one transaction or none."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from riskreg.database import write_phase
from riskreg.dbfaults import Fault, classify
from riskreg.exports.labels import N_
from riskreg.extensions import db
from riskreg.imports import services, store
from riskreg.imports.plan import Lookups, make_plan
from riskreg.imports.safety import RefusedFile
from riskreg.imports.views import CHANGED_MEANWHILE, read
from riskreg.jobs.models import Job
from riskreg.jobs.runner import JobFailure, Outcome, Progress

logger = logging.getLogger(__name__)

# A job's message is stored, so it stays English (marked: the jobs page may show it translated).
MOVED = N_(
    "The register changed since your preview, so nothing was imported. Upload the file again to see "
    "the new preview (retrying runs the same file, with the same result until then)."
)
EXPIRED = N_("That preview has expired or its file is gone: nothing was imported. Upload it again.")


def stored_preview(job: Job, user: Any, progress: Progress) -> tuple[Any, bytes]:
    """The upload a confirm job imports (the register's or the field monitoring's), its reading
    started on the job's progress; a preview that expired fails the job with nothing imported."""
    found = store.load(job.parameters.get("token", ""), user.id)
    if found is None:
        raise JobFailure(EXPIRED)
    upload, data = found
    progress.start(upload.rows, f"Reading {upload.filename}")
    return upload, data


def confirm(job: Job, user: Any, progress: Progress) -> Outcome:
    upload, data = stored_preview(job, user, progress)
    try:
        sheet = read(data, upload.filename)
    except RefusedFile as error:
        raise JobFailure(str(error)) from error
    lookups = Lookups.load()
    plan = make_plan(sheet, lookups)
    if not plan.ok or plan.digest() != upload.digest:
        raise JobFailure(MOVED)
    progress.note(f"Saving {upload.rows} rows in one transaction (all or none)")
    try:
        with write_phase():
            created, updated = services.apply_plan(plan, user, f"Imported from {upload.filename}", lookups)
            db.session.commit()
    except (*CHANGED_MEANWHILE, sa.exc.DBAPIError) as error:
        if isinstance(error, sa.exc.DBAPIError) and classify(error) not in (Fault.CLASH, Fault.BUSY):
            raise
        db.session.rollback()
        logger.info("import job %s rolled back: %r", job.id, error)
        raise JobFailure(MOVED) from error
    store.discard(upload.token)
    logger.info("import by user %s (job %s): %s created, %s updated", user.id, job.id, created, updated)
    return Outcome(f"Imported {upload.filename}: {created} risk(s) created, {updated} updated.")
