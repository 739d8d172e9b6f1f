"""The acceptance request and the approver's decision."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from riskreg.forms import (
    DateField,  # YYYY-MM-DD inputs
    Form,
    optional_int,
    options,
)


class RequestForm(Form):
    justification = TextAreaField(
        _l("Justification"),
        validators=[Length(max=5_000)],
        description=_l(
            "Why the company lives with this risk as it is: the cost or impossibility of further "
            "treatment, and what would make you look again."
        ),
    )
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    # Any id is passed on: the service says why an approver cannot approve (authority, oneself).
    approver_id = SelectField(_l("Approver"), coerce=optional_int, validate_choice=False)

    def __init__(self, approvers: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.approver_id.choices = options(
            [("", _l("Choose…")), *((user.id, f"{user.name} ({user.role.label})") for user in approvers)]
        )

    def values(self) -> dict[str, Any]:
        return {
            "justification": self.justification.data or "",
            "expires_on": self.expires_on.data,
            "approver_id": self.approver_id.data,
        }


class DecisionForm(Form):
    decision = SelectField(
        _l("Decision"),
        choices=options([("", _l("Choose…")), ("approve", _l("Approve")), ("reject", _l("Reject"))]),
        validators=[InputRequired(_l("Choose to approve or to reject."))],
    )
    note = TextAreaField(
        _l("Note"), validators=[Length(max=5_000)], description=_l("Required when you reject.")
    )

    def validate_decision(self, field: Any) -> None:
        from wtforms.validators import ValidationError

        if field.data not in ("approve", "reject"):
            raise ValidationError(_l("Choose to approve or to reject."))
