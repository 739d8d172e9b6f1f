"""A job's message in the reader's language.

The job's row keeps its message in English (the worker writes it, for every reader and the log);
pages and the status poll show it through `shown`, which recognises the messages riskreg writes and
says them in the current language. A message it does not know (an error's own text) is shown as
stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from riskreg.i18n import gettext, ngettext
from riskreg.jobs.models import Job

# Each stored message (a full match), and how it is said: named groups become the placeholders.
MESSAGES: list[tuple[re.Pattern[str], Callable[..., str]]] = []


def _add(pattern: str, say: Callable[..., str]) -> None:
    MESSAGES.append((re.compile(pattern, re.DOTALL), say))


_add(r"Waiting for a worker", lambda: gettext("Waiting for a worker"))
_add(r"Started", lambda: gettext("Started"))
_add(r"Writing the workbook", lambda: gettext("Writing the workbook"))
_add(r"Writing the (?P<sheet>.+) sheet", lambda sheet: gettext("Writing the %(sheet)s sheet", sheet=sheet))
_add(r"Saving the workbook", lambda: gettext("Saving the workbook"))
_add(r"Recomputing every indicator", lambda: gettext("Recomputing every indicator"))
_add(r"Sending reminders", lambda: gettext("Sending reminders"))
_add(r"Sending queued mail", lambda: gettext("Sending queued mail"))
_add(r"Sending webhook deliveries", lambda: gettext("Sending webhook deliveries"))
_add(r"Reading (?P<name>.+)", lambda name: gettext("Reading %(name)s", name=name))
_add(
    r"Saving (?P<rows>\d+) rows in one transaction \(all or none\)",
    lambda rows: gettext("Saving %(rows)s rows in one transaction (all or none)", rows=rows),
)
_add(
    r"Saving (?P<count>\d+) observations in one transaction \(all or none\)",
    lambda count: gettext("Saving %(count)s observations in one transaction (all or none)", count=count),
)
_add(
    r"(?P<risks>\d+) risks and (?P<controls>\d+) controls written\.",
    lambda risks, controls: gettext(
        "%(risks)s risks and %(controls)s controls written.", risks=risks, controls=controls
    ),
)
_add(
    r"Indicators recomputed: (?P<count>\d+) trigger\(s\)\.",
    lambda count: gettext("Indicators recomputed: %(count)s trigger(s).", count=count),
)
_add(
    r"control digests: (?P<digests>\d+); review reminders: (?P<reviews>\d+); grievance reminders: "
    r"(?P<grievances>\d+); acceptance warnings and expiries: (?P<acceptances>\d+); verification tasks "
    r"planned: (?P<tasks>\d+)\.",
    lambda **counts: gettext(
        "control digests: %(digests)s; review reminders: %(reviews)s; grievance reminders: "
        "%(grievances)s; acceptance warnings and expiries: %(acceptances)s; verification tasks "
        "planned: %(tasks)s.",
        **counts,
    ),
)
_add(
    r"Sent (?P<sent>\d+), failed (?P<failed>\d+), still queued (?P<queued>\d+)\.",
    lambda **counts: gettext("Sent %(sent)s, failed %(failed)s, still queued %(queued)s.", **counts),
)
_add(
    r"Delivered (?P<delivered>\d+), failed (?P<failed>\d+)\.",
    lambda **counts: gettext("Delivered %(delivered)s, failed %(failed)s.", **counts),
)
_add(
    r"Imported (?P<name>.+): (?P<created>\d+) risk\(s\) created, (?P<updated>\d+) updated\.",
    lambda **parts: gettext("Imported %(name)s: %(created)s risk(s) created, %(updated)s updated.", **parts),
)
_add(
    r"Imported (?P<name>.+): (?P<count>\d+) observations? at (?P<sites>\d+) sites?; (?P<before>\d+) "
    r"imported before were left alone\.",
    lambda name, count, sites, before: gettext(
        "Imported %(name)s: %(observations)s at %(sites)s; %(before)s imported before were left alone.",
        name=name,
        observations=ngettext("%(num)d observation", "%(num)d observations", int(count)),
        sites=ngettext("%(num)d site", "%(num)d sites", int(sites)),
        before=before,
    ),
)
_add(
    r"The user who asked for this job is no longer allowed to run it\.",
    lambda: gettext("The user who asked for this job is no longer allowed to run it."),
)
_add(
    r"The export's filters are not valid: (?P<reason>.*)",
    lambda reason: gettext("The export's filters are not valid: %(reason)s", reason=reason),
)
_add(
    r"The job stopped on an unexpected error \((?P<error>\w+)\); retry it, and if it fails again, tell an "
    r"administrator \(the worker's log has the details\)\.",
    lambda error: gettext(
        "The job stopped on an unexpected error (%(error)s); retry it, and if it fails again, tell an "
        "administrator (the worker's log has the details).",
        error=error,
    ),
)
_add(
    r"The job queue could not be reached \((?P<error>\w+)\); nothing ran\. Retry later\.",
    lambda error: gettext(
        "The job queue could not be reached (%(error)s); nothing ran. Retry later.", error=error
    ),
)
_add(
    r"The worker running this job \((?P<worker>.*)\) stopped: no sign of it since its start UTC\. "
    r"Nothing it wrote is kept; retry the job\.",
    lambda worker: gettext(
        "The worker running this job (%(worker)s) stopped: no sign of it since its start UTC. Nothing "
        "it wrote is kept; retry the job.",
        worker=worker,
    ),
)
_add(
    r"The worker running this job \((?P<worker>.*)\) stopped: no sign of it since (?P<since>.+) UTC\. "
    r"Nothing it wrote is kept; retry the job\.",
    lambda worker, since: gettext(
        "The worker running this job (%(worker)s) stopped: no sign of it since %(since)s UTC. Nothing it "
        "wrote is kept; retry the job.",
        worker=worker,
        since=since,
    ),
)
_add(
    r"No worker took this job within 24 hours: is `flask jobs worker` running\? Retry it\.",
    lambda: gettext("No worker took this job within 24 hours: is `flask jobs worker` running? Retry it."),
)
_add(
    r"That preview has expired or its file is gone: nothing was imported\. Upload it again\.",
    lambda: gettext("That preview has expired or its file is gone: nothing was imported. Upload it again."),
)


_add(
    r"The register changed since your preview, so nothing was imported\. Upload the file again to see "
    r"the new preview \(retrying runs the same file, with the same result until then\)\.",
    lambda: gettext(
        "The register changed since your preview, so nothing was imported. Upload the file again to see "
        "the new preview (retrying runs the same file, with the same result until then)."
    ),
)
_add(
    r"Sites, the form or the observations changed since your preview \(someone may have imported the "
    r"same submissions\), so nothing was imported\. Upload the file again to see the new preview\.",
    lambda: gettext(
        "Sites, the form or the observations changed since your preview (someone may have imported the "
        "same submissions), so nothing was imported. Upload the file again to see the new preview."
    ),
)


def shown(message: str | None) -> str:
    """The stored English message said in the current language (as stored when not recognised)."""
    if not message:
        return ""
    for pattern, say in MESSAGES:
        found = pattern.fullmatch(message)
        if found:
            return say(**found.groupdict())
    return message


def rows_words(job: Job) -> str:
    """What the page's progress line says: "50 of 200 (25%) rows", as jobs/_macros.html does."""
    from flask_babel import format_decimal

    if job.total:
        words = gettext(
            "%(done)s of %(total)s (%(percent)s%%)",
            done=format_decimal(job.done),
            total=format_decimal(job.total),
            percent=job.percent,
        )
        return f"{words} {gettext('rows')}" if job.unit else words
    return format_decimal(job.done) if job.done else ""
