from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from riskreg.forms import Form
from riskreg.jobs.models import JobKind
from riskreg.jobs.services import SCHEDULED


class RunForm(Form):
    """An admin runs one of the scheduled jobs now."""

    kind = SelectField(
        _l("Job"), choices=[SelectChoice(k.value, LazyString(lambda kind: kind.label, k)) for k in SCHEDULED]
    )

    def selected(self) -> JobKind:
        return JobKind(self.kind.data)
