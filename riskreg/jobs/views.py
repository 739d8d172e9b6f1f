"""/jobs: a user's recent jobs; /jobs/<id>: progress (polled by static/js/jobs.js), then the file."""

from __future__ import annotations

import logging

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg.auth.models import Role
from riskreg.auth.permissions import Permission, permission_required
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.jobs import outputs, queries, services, texts
from riskreg.jobs.forms import RunForm
from riskreg.jobs.models import Job

logger = logging.getLogger(__name__)

MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _job(job_id: int) -> Job:
    """Someone else's job is not found: its existence is nobody else's business (admins aside)."""
    job = queries.job(job_id)
    if job is None or not services.can_see(current_user, job):
        abort(404, _("There is no such job."))
    return job


@permission_required(Permission.VIEW)
def list_jobs():
    everyone = current_user.role is Role.ADMIN and request.args.get("all") == "1"
    return render_template(
        "jobs/list.html",
        jobs=queries.recent(current_user.id, everyone),
        everyone=everyone,
        run_form=RunForm() if current_user.role is Role.ADMIN else None,
    )


@permission_required(Permission.VIEW)
def detail(job_id: int):
    job = _job(job_id)
    return render_template(
        "jobs/detail.html",
        job=job,
        downloadable=services.downloadable(job) and services.may_download(current_user, job),
        can_retry=services.can_retry(current_user, job),
        form=ActionForm(),
    )


@permission_required(Permission.VIEW)
def status(job_id: int):
    job = _job(job_id)
    data = job.status()  # the codes as stored; the words in the reader's language
    data.update(message=texts.shown(job.message), rows_text=texts.rows_words(job))
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@permission_required(Permission.VIEW)
def download(job_id: int):
    job = _job(job_id)
    if job.user_id != current_user.id:
        abort(403, _("Only the user who asked for this job can download its file."))
    if not services.may_download(current_user, job):
        abort(403, _("You are no longer allowed to do what this job did, so its file is not served."))
    suffix = (job.output_name or "").rpartition(".")[2]
    response = (
        outputs.send(
            job.output_key,
            mimetype=MIMETYPES.get(suffix, "application/octet-stream"),
            download_name=job.output_name or f"job-{job.id}",
        )
        if services.downloadable(job)
        else None
    )
    if response is None:
        abort(
            404, _("This job has no file to download (it has not finished, failed, or is past its 24 hours).")
        )
    logger.info("job %s file downloaded by user %s", job.id, current_user.id)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@permission_required(Permission.VIEW)
def retry(job_id: int):
    job = _job(job_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form had expired: nothing was started. Try again."), "error")
        return redirect(url_for("jobs.detail", job_id=job.id))
    if not services.can_retry(current_user, job):
        flash(_("This job cannot be retried: it is still running, or it is not yours to run."), "error")
        return redirect(url_for("jobs.detail", job_id=job.id))
    return redirect(url_for("jobs.detail", job_id=services.retry(job, current_user)))


@permission_required(Permission.MANAGE_USERS)  # admins only
def run():
    form = RunForm()
    if not form.validate_on_submit():
        flash(_("Choose a job to run."), "error")
        return redirect(url_for("jobs.list_jobs"))
    return redirect(url_for("jobs.detail", job_id=services.start(form.selected(), current_user, {})))
