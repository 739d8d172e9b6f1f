"""A saved view: a page's query string (filters, sort, columns) under a name, personal or shared."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User

MAX_NAME = 80
MAX_QUERY = 2000  # characters of the stored query string


class SavedView(db.Model):
    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(sa.String(16))  # riskreg.savedviews.pages.PAGES
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    query: Mapped[str] = mapped_column(sa.String(MAX_QUERY), default="")  # normalised by its page
    shared: Mapped[bool] = mapped_column(default=False)  # everyone sees it; owner and managers edit
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("owner_id", "page", "name", name="uq_saved_views_owner_page_name"),
        sa.Index("ix_saved_views_page_shared", "page", "shared"),
    )


class DefaultView(db.Model):
    """The view a user's page opens on when it is opened without parameters (one per page)."""

    __tablename__ = "default_views"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    page: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    view_id: Mapped[int] = mapped_column(sa.ForeignKey("saved_views.id", ondelete="CASCADE"), index=True)
