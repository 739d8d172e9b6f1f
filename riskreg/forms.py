"""Form pieces shared by every feature: optional-id selects, enum selects, a POST-only button form."""

from __future__ import annotations

import functools
from typing import Any

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from riskreg.i18n import gettext as _
from riskreg.modeling import LabelledEnum

_WTFORMS_OPTION = wtforms.widgets.Select.render_option


def _plain_option(cls: type, choice: SelectChoice, **kwargs: Any) -> Markup:
    """WTForms' <option>, markup for markup, without html_params' general machinery: a select of
    every user or site renders hundreds of these per page (~9 ms of a risk page's add-control form)."""
    value = choice.value
    if kwargs or choice.render_kw or not isinstance(value, str):
        return _WTFORMS_OPTION(choice, **kwargs)
    selected = "selected " if choice.selected else ""
    label = escape(choice.label or value)
    return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')  # noqa: S704 (escaped)


wtforms.widgets.Select.render_option = classmethod(_plain_option)  # every select (one widget class)

_WTFORMS_HTML_PARAMS = wtforms.widgets.core.html_params


def _plain_html_params(**attributes: Any) -> Markup:
    """WTForms' html_params, attribute for attribute, with f-strings in place of Markup.format's
    pure-Python formatter: every input, select and textarea writes its attributes through it (on a
    form page, about 80 formats, a millisecond)."""
    written = []
    for key, value in sorted(attributes.items()):
        key = wtforms.widgets.core.clean_key(key)
        if value is True:
            written.append(key)
        elif value is not False:
            shown = str(escape(value)).replace('"', "&quot;")  # a Markup value keeps its own quotes
            written.append(f'{escape(key)}="{shown}"')
    return Markup(" ".join(written))  # noqa: S704 (every key and value escaped above)


# The widgets read it from their module, inputs and buttons from their class, labels from the package.
wtforms.widgets.core.html_params = wtforms.widgets.html_params = _plain_html_params
wtforms.widgets.Input.html_params = wtforms.widgets.core.Button.html_params = staticmethod(_plain_html_params)


def options(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(_("Not a valid choice.")) from exc


CHOOSE = _l("Choose…")

# Dates are YYYY-MM-DD on every page and in every input: a browser's date input shows the
# operating system's format (03/31/2027 or 31.03.2027), which riskreg's pages never use.
ISO_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
ISO_DATE_ATTRIBUTES = {
    "type": "text",
    "inputmode": "numeric",
    "pattern": ISO_DATE_PATTERN,
    "placeholder": "YYYY-MM-DD",
    "autocomplete": "off",
    "size": 10,
    "maxlength": 10,
}


def iso_date_attributes() -> Markup:
    """The attributes of a YYYY-MM-DD text input, for the inputs templates write by hand (every
    page's context has them: written once per language)."""
    return _iso_date_markup(_("YYYY-MM-DD"))


@functools.cache
def _iso_date_markup(placeholder: str) -> Markup:
    attributes = {**ISO_DATE_ATTRIBUTES, "placeholder": placeholder}
    return Markup(" ").join(Markup('{}="{}"').format(name, value) for name, value in attributes.items())


def _date_attributes() -> dict[str, Any]:
    """The attributes with the placeholder in the reader's language ("AAAA-MM-JJ")."""
    return {**ISO_DATE_ATTRIBUTES, "placeholder": _("YYYY-MM-DD")}


class IsoDateInput(wtforms.widgets.TextInput):
    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        for name, value in _date_attributes().items():
            kwargs.setdefault(name, value)
        kwargs["type"] = "text"  # even when a template asks for type="date"
        return super().__call__(field, **kwargs)


class DateField(wtforms.DateField):
    """A date typed as YYYY-MM-DD (the only format riskreg shows), with a message that says so."""

    widget = IsoDateInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            message = _("Not a valid date value: enter it as YYYY-MM-DD, for example %(example)s.")
            raise ValueError(message % {"example": ISO_EXAMPLE}) from exc


ISO_EXAMPLE = "2027-03-31"


class EnumSelectField(SelectField):
    """A select over a LabelledEnum whose data is the enum member.

    `choose` makes it a judgement someone must make: an empty first option ("Choose…") is shown
    instead of quietly pre-selecting the first member, and leaving it empty is refused with that
    message.
    """

    def __init__(
        self,
        label: str,
        enum_cls: type[LabelledEnum],
        optional: bool = False,
        choose: str | None = None,
        **kwargs: Any,
    ):
        choices = enum_cls.choices()
        if optional or choose:
            choices = [("", CHOOSE if choose else "—"), *choices]
        super().__init__(label, choices=options(choices), coerce=lambda v: _to_enum(enum_cls, v), **kwargs)
        self.enum_cls = enum_cls
        self.optional = optional
        self.choose = choose

    def pre_validate(self, form: Any) -> None:
        if self.data is None and self.optional:
            return
        if self.data is None and self.choose:
            raise ValidationError(self.choose)
        if self.data not in list(self.enum_cls):
            allowed = ", ".join(label for _value, label in self.enum_cls.choices())
            raise ValidationError(_("Choose one of: %(choices)s.", choices=allowed))


def _to_enum(enum_cls: type[LabelledEnum], value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        return value  # pre_validate reports it with the allowed values


class IdSelectField(SelectField):
    """A select of database ids (with an optional blank) that says plainly when an id is unknown."""

    def __init__(self, label: str, blank: str | None = None, **kwargs: Any):
        super().__init__(label, coerce=optional_int, **kwargs)
        self.blank = blank

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            if self.blank is None:
                raise ValidationError(_("This field is required."))
            return
        if str(self.data) not in {choice.value for choice in self.choices if choice.value}:
            raise ValidationError(_("That choice does not exist or is not available to you."))

    def set_choices(self, choices: list[tuple[int, str]]) -> None:
        self.choices = options(([("", self.blank)] if self.blank is not None else []) + list(choices))


class Form(FlaskForm):
    """Every riskreg form: Flask-WTF's, with WTForms' own messages ("This field is required.")
    in the page's language from riskreg.i18n, loaded once per language rather than per request."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            from riskreg.i18n import WTFORMS_MESSAGES

            return WTFORMS_MESSAGES


class ActionForm(Form):
    """A button that posts (archive, restore, ...): carries only the CSRF token."""
