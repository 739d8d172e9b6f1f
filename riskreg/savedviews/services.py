"""Saving, renaming, sharing, deleting and choosing default views; every change audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from riskreg import audit
from riskreg.extensions import db
from riskreg.savedviews.models import MAX_NAME, DefaultView, SavedView
from riskreg.savedviews.pages import PAGES, normalised_query

ENTITY = "saved_view"
FIELDS = ("page", "name", "query", "shared")


class ViewRuleError(ValueError):
    """A view that cannot be saved as asked (the message says why)."""


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ViewRuleError(_l("Give the view a name."))
    if len(name) > MAX_NAME:
        raise ViewRuleError(_l("A view's name is at most %(max)s characters.", max=MAX_NAME))
    return name


def _check_unique(owner_id: int, page: str, name: str, view_id: int | None = None) -> None:
    stmt = sa.select(SavedView.id).where(
        SavedView.owner_id == owner_id, SavedView.page == page, sa.func.lower(SavedView.name) == name.lower()
    )
    if view_id is not None:
        stmt = stmt.where(SavedView.id != view_id)
    if db.session.scalar(stmt) is not None:
        raise ViewRuleError(_l("You already have a view called %(name)s on this page.", name=repr(name)))


def _query(page: str, query: str) -> str:
    try:
        return normalised_query(PAGES[page], query)
    except BadRequest as error:
        raise ViewRuleError(
            _l("These filters cannot be saved: %(problem)s", problem=error.description)
        ) from error


def create_view(
    actor: Any, page: str, name: str, query: str, shared: bool = False, make_default: bool = False
) -> SavedView:
    if page not in PAGES:
        raise ViewRuleError(_l("Views can be saved for the register and the control tracker only."))
    name = _clean_name(name)
    _check_unique(actor.id, page, name)
    view = SavedView(owner_id=actor.id, page=page, name=name, query=_query(page, query), shared=shared)
    db.session.add(view)
    db.session.flush()
    audit.record(ENTITY, view.id, "create", actor, {f: [None, audit.plain(getattr(view, f))] for f in FIELDS})
    if make_default:
        set_default(actor, page, view)
    return view


def update_view(
    view: SavedView,
    actor: Any,
    *,
    name: str | None = None,
    shared: bool | None = None,
    query: str | None = None,
) -> dict[str, list[Any]]:
    """Rename, share or unshare, or replace the filters with `query`; returns what changed."""
    before = audit.snapshot(view, FIELDS)
    if name is not None:
        view.name = _clean_name(name)
        _check_unique(view.owner_id, view.page, view.name, view.id)
    if shared is not None:
        view.shared = shared
        if not shared:  # others who chose it as their default lose it with the sharing
            db.session.execute(
                sa.delete(DefaultView).where(
                    DefaultView.view_id == view.id, DefaultView.user_id != view.owner_id
                )
            )
    if query is not None:
        view.query = _query(view.page, query)
    changes = audit.diff(before, audit.snapshot(view, FIELDS))
    if changes:
        db.session.flush()
        audit.record(ENTITY, view.id, "update", actor, changes)
    return changes


def delete_view(view: SavedView, actor: Any) -> None:
    audit.record(ENTITY, view.id, "delete", actor, {f: [audit.plain(getattr(view, f)), None] for f in FIELDS})
    db.session.execute(sa.delete(DefaultView).where(DefaultView.view_id == view.id))
    db.session.delete(view)
    db.session.flush()


def set_default(actor: Any, page: str, view: SavedView | None) -> None:
    """Make `view` the page's default for `actor`, or (None) open the page plain again."""
    current = db.session.get(DefaultView, (actor.id, page))
    old = current.view_id if current else None
    new = view.id if view else None
    if old == new:
        return
    if current is not None and view is None:
        db.session.delete(current)
    elif current is not None:
        current.view_id = view.id
    else:
        db.session.add(DefaultView(user_id=actor.id, page=page, view_id=view.id))
    db.session.flush()
    audit.record(ENTITY, new or old, "default", actor, {"default_for": [old, new], "page": [page, page]})
