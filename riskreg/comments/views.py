"""Comment pages: write one on a risk or a control, edit one's own within 15 minutes, open a
mention from "My work". Whoever may view the risk or control may comment on it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template
from flask_login import current_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.comments import queries, services
from riskreg.comments.forms import CommentForm
from riskreg.comments.mentions import Resolved
from riskreg.comments.models import Comment, Mention
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.modeling import utcnow


def panel(entity: str, entity_id: int, any_comments: bool = True) -> dict[str, Any]:
    """What the comments section of a risk's or a control's page needs (`any_comments` False: the
    page already knows there is none to read)."""
    return {
        "comments": queries.thread(entity, entity_id, current_user, utcnow()) if any_comments else [],
        "comment_form": CommentForm(formdata=None),
        "comment_entity": entity,
        "comment_entity_id": entity_id,
    }


def _subject_or_404(entity: str, entity_id: int) -> Any:
    subject = queries.subject_of(entity, entity_id)
    if subject is None:
        missing = {
            "risk": _("There is no risk with id %(id)s.", id=entity_id),
            "control": _("There is no control with id %(id)s.", id=entity_id),
        }
        fallback = _("There is no %(entity)s with id %(id)s.", entity=entity, id=entity_id)
        abort(404, missing.get(entity) or fallback)
    return subject


def _report(resolved: Resolved, done: str) -> None:
    """Say who was notified and which mentions reached nobody, and why."""
    names = sorted({person.name for person in resolved.users.values() if person.id != current_user.id})
    if names:
        done = _("%(done)s Notified: %(names)s.", done=done, names=", ".join(names))
    flash(done, "success")
    problems = [_("@%(token)s (nobody by that name)", token=token) for token in resolved.unknown]
    problems += [
        _("@%(token)s (several people: use the part of their e-mail before the @)", token=token)
        for token in resolved.ambiguous
    ]
    if problems:
        flash(_("Not notified: %(problems)s.", problems=", ".join(problems)), "warning")


def _add(entity: str, entity_id: int):
    subject = _subject_or_404(entity, entity_id)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(
            400,
            _("The form expired or was not sent from riskreg. Reload the page and write the comment again."),
        )
    try:
        comment, resolved = services.add_comment(entity, subject, form.body.data, current_user)
        path = services.page_path(entity, entity_id, comment.id)
        db.session.commit()
    except services.CommentError as error:
        db.session.rollback()
        flash(_("%(error)s Nothing was saved.", error=error), "error")
        return redirect(services.page_path(entity, entity_id))
    _report(resolved, _("Comment added."))
    return redirect(path)


@permission_required(Permission.VIEW)
def add_to_risk(risk_id: int):
    return _add("risk", risk_id)


@permission_required(Permission.VIEW)
def add_to_control(control_id: int):
    return _add("control", control_id)


@permission_required(Permission.VIEW)
def edit(comment_id: int):
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404, _("There is no comment with id %(id)s.", id=comment_id))
    if comment.author_id != current_user.id:
        abort(403, _("Only the author can edit a comment."))
    subject = _subject_or_404(comment.entity, comment.entity_id)
    back = services.page_path(comment.entity, comment.entity_id, comment.id)
    form = CommentForm(obj=comment)
    error = None
    if not services.may_edit(comment, current_user):
        error = _(
            "This comment was written more than 15 minutes ago and can no longer be edited. "
            "Write a new comment instead."
        )
    elif form.validate_on_submit():
        try:
            resolved = services.edit_comment(comment, subject, form.body.data, current_user)
            db.session.commit()
        except services.CommentError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            _report(resolved, _("Comment saved."))
            return redirect(back)
    locked = not services.may_edit(comment, current_user)
    status = 403 if locked and form.is_submitted() else 200  # a refused late edit
    return (
        render_template(
            "comments/edit.html",
            form=form,
            comment=comment,
            subject=subject,
            back=back,
            error=error,
            until=services.editable_until(comment),
            locked=locked,
        ),
        status,
    )


@permission_required(Permission.VIEW)
def open_mention(mention_id: int):
    """From "My work": mark the mention read and go to the comment."""
    mention = db.session.get(Mention, mention_id)
    if mention is None:
        abort(404, _("There is no mention with id %(id)s.", id=mention_id))
    if mention.user_id != current_user.id:
        abort(403, _("This mention is someone else's."))
    comment = mention.comment
    path = services.page_path(comment.entity, comment.entity_id, comment.id)
    if mention.read_at is None:
        mention.read_at = utcnow()
        db.session.commit()
    return redirect(path)
