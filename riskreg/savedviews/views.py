"""Saved views: save the page's filters, open, rename or share, re-filter, delete, choose a default."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from riskreg.auth.permissions import Permission, can_edit_view, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.savedviews import queries, services
from riskreg.savedviews.apply import NONE
from riskreg.savedviews.forms import ClearDefaultForm, EditViewForm, RefilterForm, SaveViewForm
from riskreg.savedviews.models import MAX_QUERY, SavedView
from riskreg.savedviews.pages import PAGES, ViewPage, normalised_query


def page_url(view: SavedView) -> str:
    """The view's page with its filters, naming the view (its panel shows it as the current one)."""
    query = view.query + ("&" if view.query else "") + urlencode({"view": view.id})
    return url_for(PAGES[view.page].endpoint) + "?" + query


def _visible_or_404(view_id: int) -> SavedView:
    view = queries.viewable(current_user, view_id)
    if view is None:
        abort(404, _("There is no saved view with id %(id)s.", id=view_id))
    return view


def _editable(view_id: int) -> SavedView:
    view = _visible_or_404(view_id)
    if not can_edit_view(current_user, view):
        abort(403)
    return view


def _errors(form) -> str:
    return "; ".join(str(error) for errors in form.errors.values() for error in errors)


def _back(page: ViewPage, query: str) -> str:
    """The page as it was when the form was posted; plain when its filters are not valid."""
    try:
        normalised = normalised_query(page, query[:MAX_QUERY])
    except BadRequest:
        return url_for(page.endpoint, view=NONE)
    return url_for(page.endpoint) + "?" + (normalised or urlencode({"view": NONE}))


@permission_required(Permission.VIEW)
def create() -> Response:
    form = SaveViewForm()
    page = PAGES.get(form.page.data or "")
    if page is None:
        flash(_("Views can be saved for the register and the control tracker only."), "error")
        return redirect(url_for("risks.list", view=NONE))
    back = _back(page, form.query.data or "")
    if not form.validate_on_submit():
        flash(_("The view was not saved: %(problems)s", problems=_errors(form)), "error")
        return redirect(back)
    try:
        view = services.create_view(
            current_user,
            page.key,
            form.name.data,
            form.query.data or "",
            shared=form.shared.data,
            make_default=form.make_default.data,
        )
    except services.ViewRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    name, target = view.name, page_url(view)
    db.session.commit()
    flash(_("View %(name)s saved.", name=repr(name)), "success")
    return redirect(target)


@permission_required(Permission.VIEW)
def open(view_id: int) -> Response:
    return redirect(page_url(_visible_or_404(view_id)))


@permission_required(Permission.VIEW)
def edit(view_id: int) -> Response:
    view = _editable(view_id)
    form = EditViewForm()
    if not form.validate_on_submit():
        flash(_("The view was not changed: %(problems)s", problems=_errors(form)), "error")
        return redirect(page_url(view))
    try:
        changed = services.update_view(view, current_user, name=form.name.data, shared=form.shared.data)
    except services.ViewRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(page_url(_visible_or_404(view_id)))
    target, name = page_url(view), view.name
    db.session.commit()
    flash(
        _("View %(name)s changed.", name=repr(name))
        if changed
        else _("View %(name)s unchanged.", name=repr(name)),
        "success",
    )
    return redirect(target)


@permission_required(Permission.VIEW)
def refilter(view_id: int) -> Response:
    """Replace the view's filters, sort and columns with the page's current ones."""
    view = _editable(view_id)
    form = RefilterForm()
    if not form.validate_on_submit():
        flash(_("The view was not changed: %(problems)s", problems=_errors(form)), "error")
        return redirect(page_url(view))
    try:
        services.update_view(view, current_user, query=form.query.data or "")
    except services.ViewRuleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(page_url(_visible_or_404(view_id)))
    target, name = page_url(view), view.name
    db.session.commit()
    flash(_("View %(name)s now shows the current filters.", name=repr(name)), "success")
    return redirect(target)


@permission_required(Permission.VIEW)
def delete(view_id: int) -> Response:
    view = _editable(view_id)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired; reload the page and try again."))
    page, name = PAGES[view.page], view.name
    services.delete_view(view, current_user)
    db.session.commit()
    flash(_("View %(name)s deleted.", name=repr(name)), "success")
    return redirect(url_for(page.endpoint, view=NONE))


@permission_required(Permission.VIEW)
def make_default(view_id: int) -> Response:
    """Open the view's page on this view (any view one may see: one's own or a shared one)."""
    view = _visible_or_404(view_id)
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired; reload the page and try again."))
    services.set_default(current_user, view.page, view)
    target, name = page_url(view), view.name
    db.session.commit()
    flash(_("The page now opens on %(name)s.", name=repr(name)), "success")
    return redirect(target)


@permission_required(Permission.VIEW)
def clear_default() -> Response:
    """Open the page (the form's `page`) without a saved view again."""
    form = ClearDefaultForm()
    page = PAGES.get(form.page.data or "")
    if page is None or not form.validate_on_submit():
        flash(_("Choose the register or the control tracker."), "error")
        return redirect(url_for("risks.list", view=NONE))
    services.set_default(current_user, page.key, None)
    db.session.commit()
    flash(_("The page now opens without a saved view."), "success")
    return redirect(url_for(page.endpoint, view=NONE))
