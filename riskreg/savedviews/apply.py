"""What a page with saved views reads: its arguments (the user's default view when opened without
any) and the panel of views beside its filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import g, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from riskreg.forms import ActionForm
from riskreg.savedviews import queries
from riskreg.savedviews.forms import EditViewForm, RefilterForm, SaveViewForm
from riskreg.savedviews.models import SavedView
from riskreg.savedviews.pages import IGNORED

NONE = "none"  # ?view=none: the page as it is, without the default view


def page_args(page: str, fallback: dict[str, str] | None = None) -> tuple[MultiDict, SavedView | None]:
    """The query arguments the page lists with, and the saved view they come from (if any).

    Only a page opened with no parameters at all takes the default view (else `fallback`): a link
    with filters, or ?view=none, shows exactly what it says."""
    args = request.args
    if not args:
        views, default_id = _visible_and_default(page)
        view = next((view for view in views if view.id == default_id), None)
        if view is not None:
            return MultiDict(parse_qsl(view.query, keep_blank_values=True)), view
        return MultiDict(fallback or {}), None
    raw = args.get("view", "")
    is_id = raw.isascii() and raw.isdigit() and len(raw) < 10
    view = queries.viewable(current_user, int(raw)) if is_id else None
    return args, view


def _visible_and_default(page: str) -> tuple[list[SavedView], int | None]:
    """The user's views of the page and their default, read once per request: the page's
    arguments (its default view) and its panel both need them."""
    read = g.setdefault("saved_views_read", {})
    if page not in read:
        read[page] = queries.visible_and_default(current_user, page)
    return read[page]


def panel(page: str, active: SavedView | None, args: MultiDict) -> dict[str, Any]:
    """The saved-views panel's context: the views, the forms, and the current query string."""
    # what the page shows now; normalised again when saved
    query = urlencode([(k, v) for k, values in args.lists() if k not in IGNORED for v in values])
    views, default_id = _visible_and_default(page)
    return {
        "saved_views": views,
        "active_view": active,
        "default_view_id": default_id,
        "view_page": page,
        "save_view_form": SaveViewForm(formdata=None, page=page, query=query),
        "edit_view_form": EditViewForm(formdata=None, obj=active) if active else None,
        "refilter_form": RefilterForm(formdata=None, query=query),
        "view_action_form": ActionForm(formdata=None),
    }
