"""The review form on a risk's page: "reviewed, no change" with its note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from riskreg.forms import Form
from riskreg.reviews.services import MAX_NOTE, NO_NOTE


class NoChangeForm(Form):
    note = TextAreaField(
        _l("Why the risk stays as it is"), validators=[InputRequired(NO_NOTE), Length(max=MAX_NOTE)]
    )
