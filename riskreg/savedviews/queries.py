"""Which saved views a user sees on a page, and which one the page opens on."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from riskreg.extensions import db
from riskreg.savedviews.models import DefaultView, SavedView


# Built once and run with the user and page (every register and tracker page asks): building it and
# its cache key anew cost three times running it.
@functools.cache
def _visible_and_default() -> sa.Select:
    user_id, page = sa.bindparam("user_id"), sa.bindparam("page")
    default = sa.and_(
        DefaultView.view_id == SavedView.id, DefaultView.user_id == user_id, DefaultView.page == page
    )
    return (
        sa.select(SavedView, DefaultView.view_id)
        .outerjoin(DefaultView, default)
        .where(SavedView.page == page, sa.or_(SavedView.owner_id == user_id, SavedView.shared.is_(True)))
        .order_by(sa.func.lower(SavedView.name), SavedView.id)
        .options(selectinload(SavedView.owner))
    )


def visible_and_default(user: Any, page: str) -> tuple[list[SavedView], int | None]:
    """The user's own views and everyone's shared ones, by name, and which of them is the user's
    default for the page (its id, or None): one query."""
    rows = db.session.execute(_visible_and_default(), {"user_id": user.id, "page": page}).all()
    return [view for view, _ in rows], next((marked for _, marked in rows if marked is not None), None)


def viewable(user: Any, view_id: int) -> SavedView | None:
    view = db.session.get(SavedView, view_id)
    if view is None or not (view.owner_id == user.id or view.shared):
        return None
    return view
