"""Forms of the standards pages: requirement pickers (risks, controls) and the company's frameworks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from riskreg.controls.forms import DueDateField
from riskreg.extensions import db
from riskreg.forms import Form, IdSelectField
from riskreg.i18n import gettext as _
from riskreg.standards.catalogue import Framework
from riskreg.standards.models import Requirement
from riskreg.versioning import BaseField, VersionField


def requirement_label(framework_key: str, identifier: str, edition: str, title: str) -> str:
    from riskreg.i18n.reference import translate

    return f"{framework_key} {identifier} ({translate(edition)}) · {translate(title)}"


REQUIREMENTS_LABEL = _l("Standard requirements")


class RequirementsField(SelectMultipleField):
    """Standard requirements chosen by code, grouped by framework; an unknown code is named."""

    def __init__(self, label: Any = REQUIREMENTS_LABEL, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"size": 10})
        super().__init__(label, coerce=str, validate_choice=False, **kwargs)

    def load_choices(self) -> None:
        rows = db.session.execute(
            sa.select(
                Requirement.code,
                Requirement.framework_key,
                Requirement.identifier,
                Requirement.edition,
                Requirement.title,
            ).order_by(Requirement.framework_key, Requirement.code)
        )
        self.choices = [
            SelectChoice(code, requirement_label(key, identifier, edition, title), optgroup=key)
            for code, key, identifier, edition, title in rows
        ]

    def pre_validate(self, form: Any) -> None:
        known = {choice.value for choice in self.choices or []}
        unknown = [code for code in self.data or [] if code not in known]
        if unknown:
            raise ValidationError(
                _(
                    "Unknown standard requirement(s): %(codes)s. Choose from the catalogue.",
                    codes=", ".join(unknown),
                )
            )


class ControlRequirementsForm(Form):
    requirements = RequirementsField()
    version = VersionField()  # the control's version when the page was opened
    base = BaseField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requirements.load_choices()


class FrameworksForm(Form):
    frameworks = SelectMultipleField(
        _l("Frameworks that apply to the company"),
        coerce=str,
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )

    def set_frameworks(self, available: list[Framework]) -> None:
        from riskreg.i18n.reference import translate

        self.frameworks.choices = [
            SelectChoice(fw.key, f"{fw.key} · {translate(fw.name)}") for fw in available
        ]

    def validate_frameworks(self, field: Any) -> None:
        known = {choice.value for choice in field.choices or []}
        unknown = [key for key in field.data or [] if key not in known]
        if unknown:
            raise ValidationError(_("Unknown framework(s): %(keys)s.", keys=", ".join(unknown)))
        if not field.data:
            raise ValidationError(_("Choose at least one framework."))


class SuggestedControlForm(Form):
    """A template's suggested control: which one, by when, and who owns it if its department has no
    head. The controls service requires the due date and the owner; the form only reads them."""

    number = HiddenField()
    due_date = DueDateField(_l("Due date"), validators=[Optional()])
    owner_id = IdSelectField(_l("Owner"), blank="")

    def set_owners(self, head: str | None, owners: tuple[tuple[int, str], ...]) -> None:
        self.owner_id.blank = _("The department's head (%(head)s)", head=head) if head else _("Choose…")
        self.owner_id.set_choices(list(owners))
