"""Critical-control forms. The checks of a standard and the answers of a verification are rows of
repeated fields (question-0, expected-0, ...; answer-<check id>, note-<check id>): parsed here."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import MultipleFileField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from riskreg.critical.services import AnswerInput, CheckInput, CorrectiveInput
from riskreg.forms import (
    DateField,  # YYYY-MM-DD inputs
    Form,
    optional_int,
)
from riskreg.i18n import gettext

BLANK_CHECK_ROWS = 3


class CriticalForm(Form):
    critical_reason = TextAreaField(_l("Why it is critical"), validators=[Length(max=2000)])
    objective = TextAreaField(_l("Objective of the performance standard"), validators=[Length(max=2000)])

    def checks(self, form: MultiDict) -> list[CheckInput]:
        rows = sorted(
            int(key.split("-", 1)[1]) for key in form if key.startswith("question-") and key[9:].isdigit()
        )
        return [
            CheckInput(
                form.get(f"question-{n}", ""), form.get(f"expected-{n}", ""), form.get(f"failure-{n}", "")
            )
            for n in rows
        ]


class UncriticalForm(Form):
    reason = TextAreaField(_l("Why it is no longer critical"), validators=[Length(max=2000)])


class ScheduleForm(Form):
    frequency = StringField(_l("How often"))
    department_id = StringField(_l("Verifying department"))
    starts_on = DateField(_l("First period starts"), validators=[Optional()])

    def site_ids(self, form: MultiDict) -> list[int]:
        ids = []
        for value in form.getlist("site_ids"):
            ident = optional_int(value)
            if ident is not None:
                ids.append(ident)
        return ids


class DateInput(DateField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            # gettext, not a lazy string: the message quotes what was typed, and Jinja would take a
            # lazy string for markup and leave it unescaped.
            message = gettext("%(value)s is not a date: enter it as YYYY-MM-DD.", value=repr(valuelist[0]))
            raise ValueError(message) from exc


class VerificationForm(Form):
    performed_on = DateInput(_l("Done on"), validators=[Optional()])
    findings = TextAreaField(_l("Findings"), validators=[Length(max=10_000)])
    immediate_action = TextAreaField(
        _l("Immediate action (required when a check fails)"), validators=[Length(max=5000)]
    )
    effectiveness = StringField(_l("Rating for its risks when a check fails"))
    site_id = StringField(_l("Site"))
    evidence = MultipleFileField(_l("Evidence files (optional)"), id="verification-evidence")
    corrective_title = StringField(_l("Corrective action (optional): title"), validators=[Length(max=200)])
    corrective_department_id = StringField(_l("Corrective action: department"))
    corrective_due_date = DateInput(_l("Corrective action: due date"), validators=[Optional()])

    def answers(self, form: MultiDict, check_ids: list[int]) -> list[AnswerInput]:
        return [
            AnswerInput(ident, form.get(f"answer-{ident}") or None, form.get(f"note-{ident}", ""))
            for ident in check_ids
            if form.get(f"answer-{ident}")
        ]

    def corrective(self) -> CorrectiveInput | None:
        title = (self.corrective_title.data or "").strip()
        if not title:
            return None
        return CorrectiveInput(
            title, optional_int(self.corrective_department_id.data or None), self.corrective_due_date.data
        )
