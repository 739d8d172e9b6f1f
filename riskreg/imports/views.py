"""/import: upload a workbook, see the preview, confirm (all rows in one transaction) or cancel."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.validators import DataRequired

from riskreg.audit import AuditEvent
from riskreg.auth.permissions import Permission, permission_required
from riskreg.dbfaults import Fault, classify
from riskreg.extensions import db
from riskreg.forms import Form
from riskreg.i18n import gettext as _
from riskreg.imports import preview, reader, safety, services, store
from riskreg.imports.plan import Lookups, Plan, make_plan
from riskreg.imports.xmlcount import Bounds
from riskreg.jobs import services as jobs
from riskreg.jobs.models import JobKind
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk

logger = logging.getLogger(__name__)

CHANGED_MEANWHILE = (risk_services.RiskConflict, risk_services.RiskRuleError, StaleDataError, IntegrityError)


class UploadForm(Form):
    file = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(_l("Choose the workbook to import."))])


class TokenForm(Form):
    token = HiddenField(validators=[DataRequired()])


def limits() -> safety.Limits:
    config = current_app.config
    max_bytes = config["IMPORT_MAX_BYTES"]
    counts = Bounds(
        shared_strings=config["IMPORT_MAX_SHARED_STRINGS"],
        styles=config["IMPORT_MAX_STYLES"],
        cells=config["IMPORT_MAX_SHEET_CELLS"],
        rows=config["IMPORT_MAX_SHEET_ROWS"],
    )
    return safety.Limits(max_bytes, config.get("IMPORT_MAX_UNCOMPRESSED_BYTES") or 20 * max_bytes, counts)


def read(data: bytes, filename: str) -> reader.RegisterSheet:
    """Gate, then parse; raises RefusedFile with the reason for anything unreadable."""
    safety.check_workbook(data, filename, limits())
    try:
        return reader.read_register(data, current_app.config["IMPORT_MAX_ROWS"])
    except Exception as error:  # a hostile or broken file may fail anywhere inside openpyxl
        logger.warning("import: unreadable workbook %r: %r", filename, error)
        raise safety.unreadable(
            error, _("Save it again from your spreadsheet program as Excel Workbook (.xlsx) and retry.")
        ) from error


@permission_required(Permission.IMPORT)
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.stream.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        user_id = current_user.id
        db.session.commit()  # POSTs hold SQLite's write lock (BEGIN IMMEDIATE): let go while parsing
        try:
            sheet = read(data, storage.filename or "")
        except safety.RefusedFile as error:
            form.file.errors.append(str(error))
        else:
            lookups = Lookups.load()
            plan = make_plan(sheet, lookups)
            token = None
            if plan.ok and (plan.creates or plan.changes):
                saved = store.save(data, storage.filename or "", user_id)
                saved.digest, saved.versions = plan.digest(), plan.versions()
                saved.rows = len(plan.creates) + len(plan.changes)
                store.remember(saved)
                token = saved.token
            return _preview_page(plan, lookups, token, storage.filename or "")
    return render_template("imports/upload.html", form=form, max_bytes=limits().max_bytes)


def _preview_page(plan: Plan, lookups: Lookups, token: str | None, filename: str, **extra: Any):
    return render_template(
        "imports/preview.html",
        preview=preview.build(plan, lookups),
        token=token,
        filename=filename,
        form=TokenForm(token=token),
        action_words=preview.action_words,
        **extra,
    )


@permission_required(Permission.IMPORT)
def confirm():
    form = TokenForm()
    found = store.load(form.token.data, current_user.id) if form.validate_on_submit() else None
    if found is None:
        flash(
            _("That preview has expired or is not yours: nothing was imported. Upload the file again."),
            "error",
        )
        return redirect(url_for("imports.upload"))
    upload, data = found
    if upload.rows > current_app.config["IMPORT_INLINE_MAX_ROWS"]:
        # Longer than a proxy waits: the same checks and writes on the worker (imports/jobs.py).
        params = {"token": upload.token, "filename": upload.filename, "rows": upload.rows}
        return redirect(url_for("jobs.detail", job_id=jobs.start(JobKind.IMPORT, current_user, params)))
    db.session.commit()  # as in upload(): no write lock while the file is parsed again
    try:
        sheet = read(data, upload.filename)
    except safety.RefusedFile as error:
        flash(str(error), "error")
        return redirect(url_for("imports.upload"))
    lookups = Lookups.load()
    plan = make_plan(sheet, lookups)
    if not plan.ok or plan.digest() != upload.digest:
        return _preview_again(upload, plan, lookups)
    try:
        note = f"Imported from {upload.filename}"
        created, updated = services.apply_plan(plan, current_user, note, lookups)
        db.session.commit()
    except (*CHANGED_MEANWHILE, sa.exc.DBAPIError) as error:
        if isinstance(error, sa.exc.DBAPIError) and classify(error) not in (Fault.CLASH, Fault.BUSY):
            raise  # not a clash with another writer: the error pages say what it is
        # Another import or edit got to these risks first (a version moved on, a deadlock or
        # serialization failure on PostgreSQL, SQLite's lock): nothing was written, plan again.
        db.session.rollback()
        logger.info("import by user %s rolled back: %r", current_user.id, error)
        lookups = Lookups.load()
        return _preview_again(upload, make_plan(sheet, lookups), lookups)
    store.discard(upload.token)
    logger.info("import by user %s: %s created, %s updated", current_user.id, created, updated)
    flash(imported_message(upload.filename, created, updated), "success")
    return redirect(url_for("risks.list"))


def imported_message(filename: str, created: int, updated: int) -> str:
    return _(
        "Imported %(filename)s: %(created)s risk(s) created, %(updated)s updated.",
        filename=filename,
        created=created,
        updated=updated,
    )


def _preview_again(upload: store.Upload, plan: Plan, lookups: Lookups):
    """The register moved since the preview: show the new preview and let them confirm that one."""
    moved = _moved(upload.versions)
    upload.digest, upload.versions = plan.digest(), plan.versions()
    store.remember(upload)
    token = upload.token if plan.ok else None
    return _preview_page(plan, lookups, token, upload.filename, stale=True, moved=moved)


def _moved(versions: dict[str, int]) -> list[dict[str, Any]]:
    """The risks changed by someone else since the preview, with who did it last (at most 20)."""
    if not versions:
        return []
    risks = db.session.execute(
        sa.select(Risk.id, Risk.ref, Risk.version).where(Risk.ref.in_(list(versions)[:500]))
    ).all()
    moved = [r for r in risks if r.version != versions.get(r.ref or "")][:20]
    gone = set(versions) - {r.ref for r in risks}
    events = {}
    if moved:
        stmt = (
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "risk", AuditEvent.entity_id.in_([r.id for r in moved]))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .options(sa.orm.joinedload(AuditEvent.actor))
        )
        for event in db.session.scalars(stmt):
            events.setdefault(event.entity_id, event)
    result = [{"ref": r.ref, "risk_id": r.id, "event": events.get(r.id)} for r in moved]
    return result + [{"ref": ref, "risk_id": None, "event": None} for ref in sorted(gone)]


@permission_required(Permission.IMPORT)
def cancel():
    form = TokenForm()
    if form.validate_on_submit() and store.load(form.token.data, current_user.id) is not None:
        store.discard(form.token.data)
    flash(_("Import cancelled: nothing was changed."), "success")
    return redirect(url_for("imports.upload"))
