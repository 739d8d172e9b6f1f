"""Control forms: create/edit, link, and the small action forms (start, note, close, verify, ...)."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from riskreg import reads
from riskreg.auth.models import User
from riskreg.controls.models import Effectiveness
from riskreg.departments.models import Department
from riskreg.forms import (
    DateField,  # YYYY-MM-DD inputs
    Form,
    IdSelectField,
    options,
)
from riskreg.versioning import BaseField, VersionField

VERSION_MISSING = _l("This form is missing the version of the control: reload the page and try again.")
RATINGS = (Effectiveness.INEFFECTIVE, Effectiveness.PARTIALLY_EFFECTIVE, Effectiveness.EFFECTIVE)


class DueDateField(DateField):
    """A date field that says which format it wants when the value does not parse."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(
                _l(
                    "%(value)s is not a date: enter it as YYYY-MM-DD, for example 2026-03-31.",
                    value=repr(valuelist[0]),
                )
            ) from exc


class DepartmentField(IdSelectField):
    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            raise ValidationError(_l("Choose the department responsible for this control."))
        if str(self.data) not in {c.value for c in self.choices if c.value}:
            raise ValidationError(_l("There is no active department with that id: choose one from the list."))


@functools.cache
def _menus_query() -> sa.CompoundSelect:
    """Both menus of the control form in one query (built once): the active departments (kind 0),
    then the active people with their department's name (kind 1), each by name."""
    departments = sa.select(
        sa.literal_column("0").label("kind"),
        Department.id,
        Department.name,
        sa.null().label("department"),
    ).where(Department.active.is_(True))
    users = (
        sa.select(sa.literal_column("1"), User.id, User.name, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.active.is_(True))
    )
    return sa.union_all(departments, users).order_by("kind", "name", "id")


# The control form's two menus: (id, name) of each active department, (id, "name (department)") of
# each active person. A tuple of tuples: what a kept blank form is keyed by (risks/detail).
ControlMenus = tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]


def control_menus() -> ControlMenus:
    """Both menus of the control form, in one query."""
    departments, owners = [], []
    for kind, row_id, name, department in reads.rows(_menus_query()):
        if kind == 0:
            departments.append((row_id, name))
        else:
            owners.append((row_id, f"{name} ({department})" if department else name))
    return tuple(departments), tuple(owners)


class ControlForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    department_id = DepartmentField(_l("Responsible department"), blank=_l("Choose a department"))
    owner_id = IdSelectField(_l("Owner"), blank=_l("The department's head"))
    due_date = DueDateField(_l("Due date"), validators=[Optional()])
    formalisation_support = BooleanField(_l("Supports ASM formalisation"))
    version = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args: Any, menus: ControlMenus | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments, owners = menus or control_menus()
        self.department_id.set_choices(departments)
        self.owner_id.set_choices(owners)

    def values(self) -> dict[str, Any]:
        return {
            name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")
        }


class ControlEditForm(ControlForm):
    """Editing a stored control: the version and the signed base it was opened with are required."""

    version = VersionField()
    base = BaseField()


class LinkControlForm(Form):
    control_ref = StringField(
        _l("Control ref"),
        validators=[DataRequired(_l("Give the ref of the control to link, e.g. C-0012.")), Length(max=20)],
    )


class VersionForm(Form):
    """Carries the version the person saw, so a change made meanwhile is noticed, not overwritten."""

    version = IntegerField(
        validators=[InputRequired(VERSION_MISSING), NumberRange(min=1, message=VERSION_MISSING)]
    )
    return_to = HiddenField()


class StartForm(VersionForm):
    pass


class NoteForm(Form):
    body = TextAreaField(
        _l("Progress note"),
        id="note-body",
        validators=[DataRequired(_l("Write the progress note.")), Length(max=5_000)],
    )
    return_to = HiddenField()


class CloseForm(VersionForm):
    closing_note = TextAreaField(
        _l("Closing note"),
        id="close-note",
        validators=[
            DataRequired(_l("Write a closing note: what was done, and where the proof is.")),
            Length(max=10_000),
        ],
    )
    evidence = MultipleFileField(_l("Evidence files (optional)"), id="close-evidence")


class EvidenceForm(Form):
    evidence = MultipleFileField(_l("Add evidence files"), id="add-evidence")
    return_to = HiddenField()


class VerifyForm(VersionForm):
    effectiveness = SelectField(
        _l("Effectiveness"),
        validate_choice=False,  # validate_effectiveness says what is wrong in words
    )
    note = TextAreaField(_l("Verification note"), id="verify-note", validators=[Length(max=5_000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request: the ratings' labels are in the reader's language.
        self.effectiveness.choices = options([("", _l("Rate it")), *((r.value, r.label) for r in RATINGS)])

    def validate_effectiveness(self, field: Any) -> None:
        if field.data not in {r.value for r in RATINGS}:
            raise ValidationError(
                _l("Rate how effective the control is: ineffective, partially effective or effective.")
            )

    @property
    def rating(self) -> Effectiveness:
        return Effectiveness(self.effectiveness.data)


class ReopenForm(VersionForm):
    reason = TextAreaField(
        _l("Why reopen it?"),
        id="reopen-reason",
        validators=[DataRequired(_l("Say why the control is reopened.")), Length(max=5_000)],
    )


class CancelForm(VersionForm):
    reason = TextAreaField(
        _l("Why cancel it?"),
        id="cancel-reason",
        validators=[DataRequired(_l("Say why the control is cancelled.")), Length(max=5_000)],
    )
