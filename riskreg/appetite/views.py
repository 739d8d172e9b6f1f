"""The appetite page: every category's appetite (all roles), kept by admins."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from riskreg import audit, reference, scoring
from riskreg.appetite import queries, services
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import ngettext


@permission_required(Permission.VIEW)
def index():
    return render_template(
        "appetite/index.html",
        rows=_rows(),
        panel=queries.panel(),
        events=audit.history("appetite", services.ENTITY_ID, limit=20),
    )


def _rows() -> list[tuple[int, str, str | None]]:
    current = services.stored()
    return [(index, category, current.get(category)) for index, category in enumerate(reference.categories())]


@permission_required(Permission.MANAGE_REFERENCE)
def edit():
    """One select per category (`band-<n>`, n its place in the taxonomy); a category left out of
    the post keeps its appetite."""
    form = ActionForm()
    rows = _rows()
    if request.method == "POST" and form.validate_on_submit():
        chosen = {
            category: request.form.get(f"band-{index}", "").strip()
            for index, category, _ in rows
            if f"band-{index}" in request.form
        }
        try:
            changes = services.set_appetites(chosen, current_user)
        except services.AppetiteError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template(
                "appetite/edit.html", rows=rows, form=form, bands=scoring.matrix().bands
            ), 400
        db.session.commit()
        flash(
            ngettext(
                "Appetite saved (%(num)d category changed).",
                "Appetite saved (%(num)d categories changed).",
                len(changes),
            ),
            "success",
        )
        return redirect(url_for("appetite.index"))
    return render_template("appetite/edit.html", rows=rows, form=form, bands=scoring.matrix().bands)
