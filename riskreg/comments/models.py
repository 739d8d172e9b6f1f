"""A comment on a risk or a control, and the people it mentions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import utcnow

# What a comment can be about: the audit trail's entity names.
ENTITIES = ("risk", "control")
MAX_LENGTH = 4_000


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(16))
    entity_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    author = relationship("User", lazy="joined")
    mentions: Mapped[list[Mention]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", lazy="selectin"
    )

    # The risk or control page lists its comments oldest first.
    __table_args__ = (sa.Index("ix_comments_entity", "entity", "entity_id", "created_at"),)


class Mention(db.Model):
    """`token` is the word after @ as written, so the page can mark it; read_at is set when the
    person opens the comment from "My work"."""

    __tablename__ = "comment_mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    comment: Mapped[Comment] = relationship(back_populates="mentions")
    user = relationship("User", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("comment_id", "user_id"),
        # "My work" reads a person's unread mentions, newest first.
        sa.Index("ix_comment_mentions_user_read", "user_id", "read_at", "created_at"),
    )
