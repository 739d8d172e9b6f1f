"""What each kind of job does on the worker; each returns an Outcome or raises JobFailure."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from flask import current_app
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.auth.models import User
from riskreg.auth.permissions import has_permission
from riskreg.database import write_phase
from riskreg.extensions import db
from riskreg.jobs import outputs
from riskreg.jobs.models import Job, JobKind
from riskreg.jobs.runner import Handler, JobFailure, Outcome, Progress
from riskreg.modeling import today

logger = logging.getLogger(__name__)


def _asker(job: Job) -> User:
    """The user who asked, still allowed to (a right lost since the request stops the job)."""
    from riskreg.jobs.services import REQUIRED

    user = db.session.get(User, job.user_id) if job.user_id is not None else None
    if user is None or not has_permission(user, REQUIRED[job.kind]):
        raise JobFailure("The user who asked for this job is no longer allowed to run it.")
    return user


def export(job: Job, progress: Progress) -> Outcome:
    from riskreg.exports import xlsx
    from riskreg.reports.disclosure import parse_year
    from riskreg.risks.filters import parse_risk_filters

    user = _asker(job)
    try:
        args = MultiDict(parse_qsl(job.parameters.get("query", ""), keep_blank_values=True))
        filters, year = parse_risk_filters(args), parse_year(args.get("year"))
    except BadRequest as error:
        raise JobFailure(f"The export's filters are not valid: {error.description}") from error
    progress.start(xlsx.progress_total(filters), "Writing the workbook")
    key = outputs.new_key(job.id, "xlsx")
    progress.output(key)
    with outputs.write(key) as handle:
        ctx = xlsx.export_register(
            filters,
            f"{user.name} <{user.email}>",
            handle,
            year,
            progress.rows,
            progress.note,
            locale=job.parameters.get("locale"),  # the language of the request that asked for it
        )
    risks, controls = ctx.counts.get("risks", 0), ctx.counts.get("controls", 0)
    logger.info(
        "register exported by user %s (job %s): %s risks, %s controls", user.id, job.id, risks, controls
    )
    return Outcome(f"{risks} risks and {controls} controls written.", key, xlsx.download_name(ctx.today))


def indicators_refresh(job: Job, progress: Progress) -> Outcome:
    from riskreg.indicators.services import refresh_all

    progress.start(None, "Recomputing every indicator")
    with write_phase():
        triggers = refresh_all(actor=None)
        db.session.commit()  # the owners' mails go out after this commit
    return Outcome(f"Indicators recomputed: {len(triggers)} trigger(s).")


def reminders(job: Job, progress: Progress) -> Outcome:
    """The daily runs that were cron lines: each commits on its own, so one failing spoils no other."""
    from riskreg.acceptances.services import expire
    from riskreg.controls.reminders import send_digests
    from riskreg.critical.services import plan
    from riskreg.grievances.reminders import remind as grievances_remind
    from riskreg.reviews.reminders import remind as reviews_remind

    day = today()

    def digests() -> int:
        if day.weekday() >= 5:  # department heads' digests go out on working days, as they did from cron
            return 0
        return len(send_digests(day, current_app.config["REMINDER_HORIZON_DAYS"], echo=logger.info).sent)

    steps = [
        ("control digests", digests),
        ("review reminders", lambda: len(reviews_remind(day).sent)),
        ("grievance reminders", lambda: len(grievances_remind(day))),
        ("acceptance warnings and expiries", lambda: sum(map(len, expire(day)))),
        ("verification tasks planned", lambda: plan(day)),
    ]
    progress.start(len(steps), "Sending reminders")
    parts = []
    for done, (name, step) in enumerate(steps, start=1):
        with write_phase():
            count = step()
            db.session.commit()
        parts.append(f"{name}: {count}")
        progress.rows(done)
    return Outcome("; ".join(parts) + ".")


def mail_retry(job: Job, progress: Progress) -> Outcome:
    from riskreg import mail

    progress.start(None, "Sending queued mail")
    with write_phase():
        report = mail.retry()
    return Outcome(
        f"Sent {len(report.sent)}, failed {len(report.failed)}, still queued {mail.queued_count()}."
    )


def webhooks_deliver(job: Job, progress: Progress) -> Outcome:
    from riskreg.webhooks import delivery

    progress.start(None, "Sending webhook deliveries")
    with write_phase():
        delivered, failed = delivery.deliver_due()
    return Outcome(f"Delivered {delivered}, failed {failed}.")


def imports(job: Job, progress: Progress) -> Outcome:
    from riskreg.imports.jobs import confirm

    return confirm(job, _asker(job), progress)


def observations_import(job: Job, progress: Progress) -> Outcome:
    from riskreg.fieldforms.jobs import confirm

    return confirm(job, _asker(job), progress)


HANDLERS: dict[JobKind, Handler] = {
    JobKind.EXPORT: export,
    JobKind.IMPORT: imports,
    JobKind.OBSERVATIONS_IMPORT: observations_import,
    JobKind.INDICATORS_REFRESH: indicators_refresh,
    JobKind.REMINDERS: reminders,
    JobKind.MAIL_RETRY: mail_retry,
    JobKind.WEBHOOKS_DELIVER: webhooks_deliver,
}
