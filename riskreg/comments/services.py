"""The rules of comments: who writes them, for how long they can be edited, whom they notify.

Each comment and each edit is an audit event of the risk or control it is on (the History shows
it, with the old and new text); a person a comment mentions gets a mail (kind "mentioned") and an
entry in "My work", in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l

from riskreg import audit, mail
from riskreg.comments.mentions import Resolved, resolve
from riskreg.comments.models import ENTITIES, MAX_LENGTH, Comment, Mention
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.modeling import utcnow
from riskreg.text import multi_line

EDIT_WINDOW = timedelta(minutes=15)


class CommentError(ValueError):
    """Bad input or a refused edit, in words for the person."""


def clean_body(body: str | None) -> str:
    text = multi_line(body or "").strip()
    if not text:
        raise CommentError(_l("Write something: the comment is empty."))
    if len(text) > MAX_LENGTH:
        length = len(text)
        raise CommentError(
            LazyString(
                lambda: _(
                    "A comment is at most %(max)s characters; this one has %(count)s.",
                    max=format_decimal(MAX_LENGTH),
                    count=format_decimal(length),
                )
            )
        )
    return text


def page_path(entity: str, entity_id: int, comment_id: int | None = None) -> str:
    """The risk's or control's page at the comment (a path: mails are also written from the CLI)."""
    anchor = f"comment-{comment_id}" if comment_id else "comments"
    return f"/{entity}s/{entity_id}#{anchor}"


def add_comment(entity: str, subject: Any, body: str | None, actor: Any) -> tuple[Comment, Resolved]:
    """A new comment on `subject` (a Risk or a Control); the caller commits."""
    if entity not in ENTITIES:
        raise ValueError(f"comments are on {ENTITIES}, not {entity!r}")  # a programming error
    text = clean_body(body)
    comment = Comment(entity=entity, entity_id=subject.id, author_id=actor.id, body=text)
    db.session.add(comment)
    db.session.flush()
    resolved = _mention(comment, subject, text, actor, already=set())
    audit.record(
        entity, subject.id, "comment", actor, {"comment": [None, text]}, note=f"Comment {comment.id}"
    )
    return comment, resolved


def editable_until(comment: Comment) -> datetime:
    return comment.created_at + EDIT_WINDOW


def may_edit(comment: Comment, user: Any, now: datetime | None = None) -> bool:
    return comment.author_id == getattr(user, "id", None) and (now or utcnow()) <= editable_until(comment)


def edit_comment(comment: Comment, subject: Any, body: str | None, actor: Any) -> Resolved:
    """Only the author, within 15 minutes of writing it; newly mentioned people are notified."""
    if comment.author_id != actor.id:
        raise PermissionError(_l("Only the author can edit a comment."))
    if utcnow() > editable_until(comment):
        raise CommentError(
            _l(
                "A comment can be edited for 15 minutes after it is written, and this one is older. "
                "Write a new comment instead."
            )
        )
    text = clean_body(body)
    if text == comment.body:
        return Resolved()
    old = comment.body
    comment.body, comment.edited_at = text, utcnow()
    resolved = _mention(comment, subject, text, actor, already={m.user_id for m in comment.mentions})
    audit.record(
        comment.entity,
        comment.entity_id,
        "edit_comment",
        actor,
        {"comment": [old, text]},
        note=f"Comment {comment.id}",
    )
    return resolved


def _mention(comment: Comment, subject: Any, text: str, actor: Any, already: set[int]) -> Resolved:
    """Record and notify the people `text` mentions who were not mentioned before (never the author)."""
    resolved = resolve(text)
    rows = {mention.user_id: mention for mention in comment.mentions}
    for token, person in resolved.users.items():
        if person.id in rows:
            rows[person.id].token = token  # the page marks the word as now written
        if person.id == actor.id or person.id in already:
            continue
        already.add(person.id)
        comment.mentions.append(Mention(user_id=person.id, token=token))
        mail.notify(
            "mentioned",
            person,
            _l("%(name)s mentioned you on %(ref)s", name=actor.name, ref=subject.ref),
            "comments/email/mentioned.txt",
            author=actor,
            subject_ref=subject.ref,
            subject_title=subject.title,
            body=text,
            path=page_path(comment.entity, comment.entity_id, comment.id),
        )
    return resolved
