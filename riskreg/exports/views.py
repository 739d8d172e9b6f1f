"""GET /export.xlsx: the register (same filters as /risks) as a workbook, streamed from a temporary file;
a register larger than EXPORT_INLINE_MAX_RISKS is exported by a background job (POST /export.xlsx)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField

from riskreg.auth.permissions import Permission, permission_required
from riskreg.exports import queries, xlsx
from riskreg.forms import Form
from riskreg.i18n import current_language
from riskreg.jobs import services as jobs
from riskreg.jobs.models import JobKind
from riskreg.reports.disclosure import parse_year
from riskreg.risks.filters import parse_risk_filters

logger = logging.getLogger(__name__)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 256 * 1024


class BackgroundForm(Form):
    query = HiddenField()  # the filters of /export.xlsx, as its query string


@permission_required(Permission.EXPORT)
def register():
    """openpyxl's write-only mode finishes each sheet before zipping it, so the workbook is built in a
    temporary file, then sent in chunks: memory stays flat whatever the size of the register."""
    filters = parse_risk_filters(request.args)  # 400 with the parameter's name on a bad value
    year = parse_year(request.args.get("year"))  # of the ASM disclosure sheet; this year by default
    count = queries.risk_count(filters)
    if count > current_app.config["EXPORT_INLINE_MAX_RISKS"]:
        # Longer than a proxy waits: offer the background job (a POST, so a link cannot start one).
        form = BackgroundForm(query=request.query_string.decode("utf-8", "replace"))
        return render_template("exports/background.html", form=form, count=count)
    fd, name = tempfile.mkstemp(prefix="riskreg-export-", suffix=".xlsx")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            ctx = xlsx.export_register(filters, f"{current_user.name} <{current_user.email}>", handle, year)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    logger.info(
        "register exported by user %s: %s risks, %s controls",
        current_user.id,
        ctx.counts.get("risks"),
        ctx.counts.get("controls"),
    )
    response = Response(_chunks(path), mimetype=XLSX_MIMETYPE, direct_passthrough=True)
    response.content_length = path.stat().st_size
    response.headers["Content-Disposition"] = f"attachment; filename={xlsx.download_name(ctx.today)}"
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(lambda: path.unlink(missing_ok=True))  # also when the download is dropped
    return response


@permission_required(Permission.EXPORT)
def start_job():
    """Start the background export with the filters the GET carried, and show its progress page."""
    form = BackgroundForm()
    if not form.validate_on_submit():
        return redirect(url_for("exports.register"))  # an expired form: the GET asks again
    query = form.query.data or ""
    args = MultiDict(parse_qsl(query, keep_blank_values=True))
    parse_risk_filters(args)  # 400 with the parameter's name, before anything is queued
    parse_year(args.get("year"))
    # The worker has no request: the language the workbook is written in travels with the job, a code
    # (left out when it is the company's default, which the worker uses anyway).
    parameters = {"query": query}
    if current_language() != current_app.config["DEFAULT_LOCALE"]:
        parameters["locale"] = current_language()
    return redirect(url_for("jobs.detail", job_id=jobs.start(JobKind.EXPORT, current_user, parameters)))


def _chunks(path: Path) -> Iterator[bytes]:
    """The file is opened only once sending starts, and removed when it is sent."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
