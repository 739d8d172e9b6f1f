"""Which saved views a user sees on a page, and which one the page opens on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from riskreg.extensions import db
from riskreg.savedviews.models import DefaultView, SavedView


def visible(user: Any, page: str) -> list[SavedView]:
    """The user's own views and everyone's shared ones, by name."""
    stmt = (
        sa.select(SavedView)
        .where(SavedView.page == page, sa.or_(SavedView.owner_id == user.id, SavedView.shared.is_(True)))
        .order_by(sa.func.lower(SavedView.name), SavedView.id)
        .options(selectinload(SavedView.owner))
    )
    return list(db.session.scalars(stmt))


def default_view(user: Any, page: str) -> SavedView | None:
    """The user's default for the page, if they may still see it."""
    stmt = (
        sa.select(SavedView)
        .join(DefaultView, DefaultView.view_id == SavedView.id)
        .where(DefaultView.user_id == user.id, DefaultView.page == page)
        .where(sa.or_(SavedView.owner_id == user.id, SavedView.shared.is_(True)))
    )
    return db.session.scalar(stmt)


def default_id(user: Any, page: str) -> int | None:
    view = default_view(user, page)
    return view.id if view else None


def viewable(user: Any, view_id: int) -> SavedView | None:
    view = db.session.get(SavedView, view_id)
    if view is None or not (view.owner_id == user.id or view.shared):
        return None
    return view
