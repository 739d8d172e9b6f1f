"""POST-only bulk changes from the register (/risks/bulk) and the tracker (/controls/bulk): the
view reads the selection, calls the service, commits once and says what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.validators import ValidationError

from riskreg.auth.permissions import Permission, has_permission, permission_required
from riskreg.bulk import services
from riskreg.bulk.forms import BulkForm, ControlBulkForm, RiskBulkForm
from riskreg.extensions import db
from riskreg.i18n import gettext as _


def _apply(form: BulkForm, change: Callable[..., services.BulkResult], noun: str, back: str) -> Any:
    if not form.validate_on_submit():
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        flash(problems or _("The form expired."), "error")
        return redirect(back)
    try:
        items = services.parse_items(request.form.getlist("item"))
        result = change(items, form.changes(), current_user)  # type: ignore[attr-defined]
    except (services.BulkError, ValidationError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    except services.BulkForbidden as error:
        db.session.rollback()
        abort(403, str(error))
    message = result.message(noun)
    db.session.commit()
    flash(message, "warning" if result.stale else "success")
    return redirect(back)


@permission_required(Permission.EDIT_RISKS)
def risks():
    form = RiskBulkForm()
    back = form.back_url(url_for("risks.list"), url_for("risks.list"))
    return _apply(form, services.change_risks, "risk", back)


@permission_required(Permission.VIEW)
def controls():
    if not (
        has_permission(current_user, Permission.MANAGE_CONTROLS)
        or has_permission(current_user, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS)
    ):
        abort(403)
    form = ControlBulkForm()
    back = form.back_url(url_for("controls.list"), url_for("controls.list"))
    return _apply(form, services.change_controls, "control", back)
