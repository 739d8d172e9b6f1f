"""The upload form and the preview's confirm/cancel form (CSRF on both)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from riskreg.forms import Form


class ExportUploadForm(Form):
    file = FileField(
        _l("Submissions export (.xlsx or .csv)"),
        validators=[FileRequired(_l("Choose the export of the submissions to import."))],
    )


class PreviewTokenForm(Form):
    token = HiddenField(validators=[DataRequired()])
