"""Reading comments: a page's thread and a person's unread mentions ("My work")."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from riskreg.comments.mentions import Segment, segments
from riskreg.comments.models import Comment, Mention
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.me.sections import Item, Listing, Section
from riskreg.risks.models import Risk, format_ref


@dataclass(frozen=True)
class Shown:
    comment: Comment
    parts: list[Segment]
    editable: bool


def thread(entity: str, entity_id: int, viewer: Any, now: datetime) -> list[Shown]:
    """The comments on one risk or control, oldest first, with their mentions (two queries)."""
    from riskreg.comments.services import may_edit

    comments = db.session.scalars(_thread(), {"entity": entity, "entity_id": entity_id}).unique()
    shown = []
    for comment in comments:
        notified = {mention.token: mention.user.name for mention in comment.mentions}
        shown.append(Shown(comment, segments(comment.body, notified), may_edit(comment, viewer, now)))
    return shown


@functools.cache
def _thread() -> sa.Select:
    """Built once (every risk's and control's page runs it)."""
    return (
        sa.select(Comment)
        .where(Comment.entity == sa.bindparam("entity"), Comment.entity_id == sa.bindparam("entity_id"))
        .order_by(Comment.created_at, Comment.id)
        .limit(500)
    )


def subject_of(entity: str, entity_id: int) -> Risk | Control | None:
    return db.session.get(Risk if entity == "risk" else Control, entity_id)


@cache
def _unread_mentions() -> Listing:
    return Listing(
        sa.select(Mention)
        .join(Mention.comment)
        .where(Mention.user_id == sa.bindparam("user_id"), Mention.read_at.is_(None))
        .order_by(Mention.created_at.desc(), Mention.id.desc())
        .options(sa.orm.contains_eager(Mention.comment))
    )


def my_mentions(user: Any, on: date) -> Section | None:
    """The comments that mention `user` and that they have not opened yet, newest first."""
    mentions, total = _unread_mentions().run(user_id=user.id)
    if not total:
        return None
    items = []
    for mention in mentions:
        comment = mention.comment
        prefix = "R" if comment.entity == "risk" else "C"
        excerpt = comment.body if len(comment.body) <= 80 else comment.body[:79] + "…"
        items.append(
            Item(
                label=f"{comment.author.name} on {format_ref(prefix, comment.entity_id)}: {excerpt}",
                url=url_for("comments.open_mention", mention_id=mention.id),
                detail=comment.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                action_label=_l("Read"),
            )
        )
    return Section(key="mentions", title=_l("Mentions"), items=items, total=total)
