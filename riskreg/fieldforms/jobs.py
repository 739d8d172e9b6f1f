"""The confirm of a large field monitoring import, on the jobs worker: the checks of
fieldforms/views.py's confirm, then every observation in one transaction or none."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from riskreg.database import write_phase
from riskreg.extensions import db
from riskreg.fieldforms import reader, services
from riskreg.fieldforms.plan import Lookups, make_plan
from riskreg.imports import safety, store
from riskreg.imports.jobs import stored_preview
from riskreg.jobs.models import Job
from riskreg.jobs.runner import JobFailure, Outcome, Progress
from riskreg.sites.monitoring import MonitoringError

logger = logging.getLogger(__name__)

MOVED = (
    "Sites, the form or the observations changed since your preview (someone may have imported the "
    "same submissions), so nothing was imported. Upload the file again to see the new preview."
)


def confirm(job: Job, user: Any, progress: Progress) -> Outcome:
    upload, data = stored_preview(job, user, progress)
    try:
        table = reader.read_export(data, upload.filename)
    except safety.RefusedFile as error:
        raise JobFailure(str(error)) from error
    plan = make_plan(table, services.observation_spec(), Lookups.load())
    if not (plan.ok and plan.new) or plan.digest() != upload.digest:
        raise JobFailure(MOVED)
    progress.note(f"Saving {len(plan.new)} observations in one transaction (all or none)")
    try:
        with write_phase():
            count = services.apply_plan(plan, user, upload.filename)
            db.session.commit()
    except (IntegrityError, StaleDataError, MonitoringError) as error:
        db.session.rollback()
        logger.info("field data import job %s rolled back: %r", job.id, error)
        raise JobFailure(MOVED) from error
    store.discard(upload.token)
    sites = len(plan.site_ids())
    return Outcome(
        f"Imported {upload.filename}: {count} observation{'' if count == 1 else 's'} at {sites} "
        f"site{'' if sites == 1 else 's'}; {len(plan.already)} imported before were left alone."
    )
