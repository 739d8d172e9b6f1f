"""Field data: download the XLSForm; upload an export, see the preview, confirm (all rows or none).

Routes are in blueprint.py. The upload is kept between the preview and the confirm the way the
register import keeps it (riskreg.imports.store): on disk under a token tied to the user, with its
checksum; a confirm whose file or plan changed imports nothing.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.fieldforms import reader, services, xlsform
from riskreg.fieldforms.forms import ExportUploadForm, PreviewTokenForm
from riskreg.fieldforms.plan import Lookups, Plan, make_plan
from riskreg.i18n import current_language, ngettext
from riskreg.i18n import gettext as _
from riskreg.imports import safety, store
from riskreg.jobs import services as jobs
from riskreg.jobs.models import JobKind
from riskreg.sites.monitoring import MonitoringError

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN = 300  # rows of each list on the preview; the counts are always complete


def may_import(view: Any) -> Any:
    """Importing field data both records monitoring and is a bulk import: risk managers and admins."""
    return permission_required(Permission.RECORD_MONITORING)(permission_required(Permission.IMPORT)(view))


@permission_required(Permission.RECORD_MONITORING)
def observation_form():
    specs = services.observation_specs()
    spec = specs["en"]  # its version: the same form whatever the language it is downloaded in
    response = send_file(
        io.BytesIO(xlsform.workbook(spec, specs, default_language=current_language())),
        mimetype=XLSX,
        as_attachment=True,
        download_name="riskreg-observation-form.xlsx",
        max_age=0,
    )
    response.headers["X-Form-Version"] = spec.version
    return response


@may_import
def upload():
    form = ExportUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.stream.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        filename = _stored_name(storage.filename or "")
        user_id = current_user.id
        db.session.commit()  # POSTs hold SQLite's write lock (BEGIN IMMEDIATE): let go while parsing
        try:
            table = reader.read_export(data, filename)
        except safety.RefusedFile as error:
            form.file.errors.append(str(error))
        else:
            lookups = Lookups.load()
            plan = make_plan(table, services.observation_spec(), lookups)
            token = None
            if plan.ok and plan.new:
                saved = store.save(data, filename, user_id)
                saved.digest, saved.rows = plan.digest(), len(plan.new)
                store.remember(saved)
                token = saved.token
            return _preview_page(plan, lookups, token, filename)
    return render_template(
        "fieldforms/upload.html",
        form=form,
        max_bytes=current_app.config["IMPORT_MAX_BYTES"],
        max_rows=reader.max_rows(),
    )


def _stored_name(filename: str) -> str:
    """The file's own name, short enough for the store, keeping the suffix that says how to read it."""
    path = Path(filename or "export")
    return path.stem[:100] + path.suffix[:10]


@may_import
def confirm():
    form = PreviewTokenForm()
    found = store.load(form.token.data, current_user.id) if form.validate_on_submit() else None
    if found is None:
        flash(
            _(
                "That preview has expired, is not yours or its file changed: nothing was imported. "
                "Upload the file again."
            ),
            "error",
        )
        return redirect(url_for("fieldforms.upload"))
    upload, data = found
    if upload.rows > current_app.config["IMPORT_INLINE_MAX_ROWS"]:
        # Longer than a proxy waits: the same checks and writes on the worker (fieldforms/jobs.py).
        params = {"token": upload.token, "filename": upload.filename, "rows": upload.rows}
        job_id = jobs.start(JobKind.OBSERVATIONS_IMPORT, current_user, params)
        return redirect(url_for("jobs.detail", job_id=job_id))
    db.session.commit()  # as in upload(): no write lock while the file is read again
    try:
        table = reader.read_export(data, upload.filename)
    except safety.RefusedFile as error:
        store.discard(upload.token)
        flash(str(error), "error")
        return redirect(url_for("fieldforms.upload"))
    lookups = Lookups.load()
    plan = make_plan(table, services.observation_spec(), lookups)
    if not (plan.ok and plan.new) or plan.digest() != upload.digest:
        # Something moved since the preview (a site, the form, an import by someone else).
        token = None
        if plan.ok and plan.new:
            upload.digest = plan.digest()
            store.remember(upload)
            token = upload.token
        else:
            store.discard(upload.token)
        return _preview_page(plan, lookups, token, upload.filename, stale=True)
    try:
        count = services.apply_plan(plan, current_user, upload.filename)
        db.session.commit()
    except (IntegrityError, StaleDataError, MonitoringError) as error:
        db.session.rollback()
        logger.info("field data import by user %s rolled back: %r", current_user.id, error)
        flash(
            _(
                "Nothing was imported: the observations or sites changed while the import ran "
                "(someone may have imported the same submissions). Preview the file again."
            ),
            "error",
        )
        return redirect(url_for("fieldforms.upload"))
    store.discard(upload.token)
    sites = len(plan.site_ids())
    logger.info("field data import by user %s: %s observations at %s sites", current_user.id, count, sites)
    observations = ngettext("%(num)d observation", "%(num)d observations", count)
    at_sites = ngettext("%(num)d site", "%(num)d sites", sites)
    flash(
        _(
            "Imported %(file)s: %(observations)s at %(sites)s; %(before)s imported before were left alone.",
            file=upload.filename,
            observations=observations,
            sites=at_sites,
            before=len(plan.already),
        ),
        "success",
    )
    return redirect(url_for("sites.list"))


@may_import
def cancel():
    form = PreviewTokenForm()
    if form.validate_on_submit() and store.load(form.token.data, current_user.id) is not None:
        store.discard(form.token.data)
    flash(_("Import cancelled: nothing was changed."), "success")
    return redirect(url_for("fieldforms.upload"))


def _preview_page(plan: Plan, lookups: Lookups, token: str | None, filename: str, stale: bool = False):
    rows = [
        {
            "row": new.row,
            "submission": new.submission_id,
            "site": lookups.sites[new.site_id].name,
            "observed_on": new.values["observed_on"],
            "location": new.values["location"].label,
            "distance": new.values.get("distance_km"),
            "miners": new.values.get("miners_estimate"),
            "worked_out": new.worked_out,
        }
        for new in plan.new[:SHOWN]
    ]
    return render_template(
        "fieldforms/preview.html",
        plan=plan,
        rows=rows,
        already=plan.already[:SHOWN],
        problems=plan.problems[:SHOWN],
        token=token,
        filename=filename,
        stale=stale,
        form=PreviewTokenForm(token=token),
    )
