"""riskreg's observation form as an XLSForm (KoboToolbox, ODK), read from the web form itself.

Pure: no database, no request. The fields, their kinds, limits and choices come from the bound
ObservationForm and the enums it uses, so the XLSForm and the import cannot drift from the web form.
Around them the XLSForm adds the site (a select_one of active sites), a GPS point and a hidden
`form_version`, whose first part hashes everything the import relies on (names, kinds, rules,
choice values) and second part the words (labels, site names): the import accepts any export
whose first part is the current one.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import openpyxl
from flask_babel import force_locale
from wtforms.validators import InputRequired, NumberRange

from riskreg.i18n import gettext as _
from riskreg.i18n.languages import LANGUAGES
from riskreg.sites.forms import not_in_future
from riskreg.sites.models import ObservationLocation

FORM_ID = "riskreg_asm_observation"
FORM_TITLE = "riskreg ASM observation"  # the English title; form_title() in the reader's language
SITE = "site_id"
POSITION = "position"  # the geopoint
VERSION = "form_version"  # a calculate field: the version travels in every submission
GROUP = "observation"
YES, NO = "yes", "no"
FUTURE_MESSAGE = "The date cannot be in the future."  # as the web form says it (sites/forms.py)
WORDS = ("label", "range_message", "multiline", "enum")  # not part of the definition the import checks
KINDS = {
    "DateField": "date",
    "EnumSelectField": "select_one",
    "FloatField": "decimal",
    "DecimalField": "decimal",
    "IntegerField": "integer",
    "BooleanField": "boolean",
    "StringField": "text",
    "TextAreaField": "text",
}


@dataclass(frozen=True)
class FormField:
    """One question of the observation form, as the XLSForm and the import both need it."""

    name: str
    label: str
    kind: str  # date, select_one, decimal, integer, boolean, text
    required: bool
    list_name: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    minimum: float | None = None
    maximum: float | None = None
    range_message: str = ""
    max_length: int | None = None
    not_future: bool = False
    multiline: bool = False
    enum: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ObservationSpec:
    fields: tuple[FormField, ...]
    sites: tuple[tuple[int, str], ...]  # active sites: (id, name)
    # The words of the other languages, for exports made with labels in any of them (not part of
    # the definition nor the version): (question label, name) and (question name, choice label, value).
    aliases: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    choice_aliases: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)

    @property
    def definition(self) -> str:
        """What the import relies on ("v" + a hash); an export with another one is of an unknown form."""
        content = [
            {k: v for k, v in asdict(f).items() if k not in WORDS}
            | {"choices": [value for value, _label in f.choices]}
            for f in self.fields
        ]
        return "v" + _hash([content, SITE, POSITION, GROUP], 8)  # never a number, even in a spreadsheet

    @property
    def version(self) -> str:
        words = [
            [getattr(f, name) for name in WORDS] + [[label for _v, label in f.choices]] for f in self.fields
        ]
        return f"{self.definition}.{_hash([words, list(self.sites)], 6)}"


def _hash(content: Any, length: int) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:length]


def list_name(enum_cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_cls.__name__).lower()


def fields_of(form: Any) -> tuple[FormField, ...]:
    """The questions of a bound WTForms form (csrf off); a field of an unknown type is an error."""
    questions = []
    for bound in form:
        if bound.name == "csrf_token" or bound.type in ("HiddenField", "CSRFTokenField"):
            continue
        kind = KINDS.get(bound.type)
        if kind is None:
            raise TypeError(f"the XLSForm has no question type for {bound.name} ({bound.type})")
        ranges = [v for v in bound.validators if isinstance(v, NumberRange)]
        required = any(isinstance(v, InputRequired) for v in bound.validators) or bool(bound.flags.required)
        options: dict[str, Any] = {}
        if kind == "select_one":
            enum_cls = bound.enum_cls
            required = required or not bound.optional
            options = {
                "list_name": list_name(enum_cls),
                "choices": tuple(enum_cls.choices()),
                "enum": enum_cls,
            }
        elif kind == "boolean":
            # Always answered on the web form (a box ticked or not): on a phone, an explicit yes or no.
            required = True
            options = {"list_name": "yes_no", "choices": ((YES, _("Yes")), (NO, _("No")))}
        questions.append(
            FormField(
                name=bound.name,
                label=str(bound.label.text),
                kind=kind,
                required=required,
                minimum=ranges[0].min if ranges else None,
                maximum=ranges[0].max if ranges else None,
                range_message=str(ranges[0].message or "") if ranges else "",
                max_length=getattr(bound.flags, "maxlength", None) or None,
                not_future=any(v is not_in_future for v in bound.validators),
                multiline=bound.type == "TextAreaField",
                **options,
            )
        )
    return tuple(questions)


SURVEY_HEADER = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "calculation",
)


def _constraint(f: FormField) -> tuple[str, str]:
    if f.not_future:
        return ". <= today()", _("The date cannot be in the future.")
    bounds = []
    if f.minimum is not None:
        bounds.append(f". >= {_number(f.minimum)}")
    if f.maximum is not None:
        bounds.append(f". <= {_number(f.maximum)}")
    if bounds:
        return " and ".join(bounds), f.range_message or _("Out of range.")
    if f.max_length:
        limit = f.max_length
        return f"string-length(.) <= {limit}", _("At most %(num)s characters.", num=limit)
    return "", ""


def _number(value: float) -> str:
    """XPath has no exponent notation: 10000000, not 1e+07."""
    return str(int(value)) if float(value).is_integer() else f"{value:f}".rstrip("0")


def _question(f: FormField) -> dict[str, str]:
    kind = f"select_one {f.list_name}" if f.list_name else f.kind
    row = {"type": kind, "name": f.name, "label": f.label, "required": "yes" if f.required else ""}
    row["constraint"], row["constraint_message"] = _constraint(f)
    on_concession = ObservationLocation.ON_CONCESSION.value
    if f.name == "location":  # riskreg works it out from the GPS point when not given
        row["required"] = f"${{{POSITION}}} = ''"
        row["hint"] = _("Leave empty when a GPS point is taken: riskreg works it out from the distance.")
    elif f.name == "distance_km":  # as monitoring.check_observation: none on the concession
        row["relevant"] = f"${{location}} != '{on_concession}'"
        row["required"] = f"${{location}} = '{ObservationLocation.DISTANT.value}' and ${{{POSITION}}} = ''"
        row["hint"] = _("Leave empty when a GPS point is taken: riskreg measures it to the site.")
    if f.multiline:
        row["appearance"] = "multiline"
    return row


def survey_rows(spec: ObservationSpec, version: str | None = None) -> list[dict[str, str]]:
    """The survey in the current language; `version` (else the spec's own) goes in the calculate."""
    rows = [
        {"type": "calculate", "name": VERSION, "calculation": f"'{version or spec.version}'"},
        {"type": f"select_one {SITE}", "name": SITE, "label": _("Site"), "required": "yes"},
        {
            "type": "geopoint",
            "name": POSITION,
            "label": _("GPS point where the ASM was seen"),
            "hint": _("Optional: riskreg measures the distance to the site from it."),
        },
        {"type": "begin_group", "name": GROUP, "label": _("Observation")},
    ]
    rows += [_question(f) for f in spec.fields]
    rows.append({"type": "end_group", "name": GROUP})
    return rows


def choice_rows(spec: ObservationSpec) -> list[tuple[str, str, str]]:
    # "${" in a label would be read as a reference to a question: a site name must never be one
    rows = [(SITE, str(site_id), name.replace("${", "$ {")) for site_id, name in spec.sites]
    seen: set[str] = set()
    for f in spec.fields:
        if f.list_name and f.list_name not in seen:
            seen.add(f.list_name)
            rows += [(f.list_name, value, label) for value, label in f.choices]
    return rows


def form_title() -> str:
    return _("riskreg ASM observation")


def language_column(column: str, code: str) -> str:
    """XLSForm's column of one language: "label::Français (fr)"."""
    return f"{column}::{LANGUAGES[code]} ({code})"


TRANSLATED = ("label", "hint", "constraint_message")  # the survey's columns people read


def workbook(
    spec: ObservationSpec,
    translations: dict[str, ObservationSpec] | None = None,
    default_language: str | None = None,
) -> bytes:
    """The XLSForm as .xlsx bytes: survey, choices and settings sheets.

    Without `translations`, one language (the current one) in plain label/hint columns. With them
    ({code: the spec made in that language}), every text in XLSForm's columns per language
    ("label::English (en)", ...), `default_language` (a code) the one Collect and Kobo show first;
    the names, choice values and the version (the spec's) are the same in every language."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    if not translations:
        header, rows = SURVEY_HEADER, survey_rows(spec)
        _write(survey, header, ([row.get(c, "") for c in header] for row in rows))
        _write(book.create_sheet("choices"), ("list_name", "name", "label"), choice_rows(spec))
        settings = [("form_title", form_title()), ("form_id", FORM_ID), ("version", spec.version)]
    else:
        codes = list(translations)
        default_language = default_language if default_language in translations else codes[0]
        texts: dict[str, tuple[list[dict[str, str]], list[tuple[str, str, str]]]] = {}
        for code in codes:
            with force_locale(code):
                texts[code] = (survey_rows(translations[code], spec.version), choice_rows(translations[code]))
        header = [
            column
            for name in SURVEY_HEADER
            for column in ([language_column(name, c) for c in codes] if name in TRANSLATED else [name])
        ]
        base = texts[default_language][0]
        lines = []
        for index, row in enumerate(base):
            line = []
            for name in SURVEY_HEADER:
                if name in TRANSLATED:
                    line += [texts[code][0][index].get(name, "") for code in codes]
                else:
                    line.append(row.get(name, ""))
            lines.append(line)
        _write(survey, header, lines)
        choices = [
            (list_name, value, *(texts[code][1][index][2] for code in codes))
            for index, (list_name, value, _label) in enumerate(texts[default_language][1])
        ]
        choices_header = ("list_name", "name", *(language_column("label", code) for code in codes))
        _write(book.create_sheet("choices"), choices_header, choices)
        with force_locale(default_language):
            title = form_title()
        settings = [
            ("form_title", title),
            ("form_id", FORM_ID),
            ("version", spec.version),
            ("default_language", f"{LANGUAGES[default_language]} ({default_language})"),
        ]
    _write(book.create_sheet("settings"), [k for k, _v in settings], [[v for _k, v in settings]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet: Any, header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
    sheet.append(list(header))
    for row in rows:
        sheet.append([v or None for v in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a site named "=1+1" stays text, never a formula
