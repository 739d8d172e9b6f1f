"""The comment box: one text area, bounded."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from riskreg.comments.models import MAX_LENGTH
from riskreg.forms import Form


class CommentForm(Form):
    # The length is checked by the service (one message for every writer); the browser's
    # maxlength only stops typing past it.
    body = TextAreaField(_l("Comment"), render_kw={"maxlength": MAX_LENGTH, "rows": 3})
