"""Which saved views a user sees on a page, and which one the page opens on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from riskreg.extensions import db
from riskreg.savedviews.models import DefaultView, SavedView


def visible_and_default(user: Any, page: str) -> tuple[list[SavedView], int | None]:
    """The user's own views and everyone's shared ones, by name, and which of them is the user's
    default for the page (its id, or None): one query."""
    default = sa.and_(
        DefaultView.view_id == SavedView.id, DefaultView.user_id == user.id, DefaultView.page == page
    )
    stmt = (
        sa.select(SavedView, DefaultView.view_id)
        .outerjoin(DefaultView, default)
        .where(SavedView.page == page, sa.or_(SavedView.owner_id == user.id, SavedView.shared.is_(True)))
        .order_by(sa.func.lower(SavedView.name), SavedView.id)
        .options(selectinload(SavedView.owner))
    )
    rows = db.session.execute(stmt).all()
    return [view for view, _ in rows], next((marked for _, marked in rows if marked is not None), None)


def viewable(user: Any, view_id: int) -> SavedView | None:
    view = db.session.get(SavedView, view_id)
    if view is None or not (view.owner_id == user.id or view.shared):
        return None
    return view
