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
from wtforms.validators import InputRequired, NumberRange

from riskreg.sites.forms import not_in_future
from riskreg.sites.models import ObservationLocation

FORM_ID = "riskreg_asm_observation"
FORM_TITLE = "riskreg ASM observation"
SITE = "site_id"
POSITION = "position"  # the geopoint
VERSION = "form_version"  # a calculate field: the version travels in every submission
GROUP = "observation"
YES, NO = "yes", "no"
FUTURE_MESSAGE = "The date cannot be in the future."
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

    @property
    def definition(self) -> str:
        """What the import relies on ("v" + a hash); an export with another one is of an unknown form."""
        content = [
            {k: v for k, v in asdict(f).items() if k not in WORDS}
            | {"choices": [value for value, _ in f.choices]}
            for f in self.fields
        ]
        return "v" + _hash([content, SITE, POSITION, GROUP], 8)  # never a number, even in a spreadsheet

    @property
    def version(self) -> str:
        words = [
            [getattr(f, name) for name in WORDS] + [[label for _, label in f.choices]] for f in self.fields
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
            options = {"list_name": "yes_no", "choices": ((YES, "Yes"), (NO, "No"))}
        questions.append(
            FormField(
                name=bound.name,
                label=str(bound.label.text),
                kind=kind,
                required=required,
                minimum=ranges[0].min if ranges else None,
                maximum=ranges[0].max if ranges else None,
                range_message=(ranges[0].message or "") if ranges else "",
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
        return ". <= today()", FUTURE_MESSAGE
    bounds = []
    if f.minimum is not None:
        bounds.append(f". >= {_number(f.minimum)}")
    if f.maximum is not None:
        bounds.append(f". <= {_number(f.maximum)}")
    if bounds:
        return " and ".join(bounds), f.range_message or "Out of range."
    if f.max_length:
        return f"string-length(.) <= {f.max_length}", f"At most {f.max_length} characters."
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
        row["hint"] = "Leave empty when a GPS point is taken: riskreg works it out from the distance."
    elif f.name == "distance_km":  # as monitoring.check_observation: none on the concession
        row["relevant"] = f"${{location}} != '{on_concession}'"
        row["required"] = f"${{location}} = '{ObservationLocation.DISTANT.value}' and ${{{POSITION}}} = ''"
        row["hint"] = "Leave empty when a GPS point is taken: riskreg measures it to the site."
    if f.multiline:
        row["appearance"] = "multiline"
    return row


def survey_rows(spec: ObservationSpec) -> list[dict[str, str]]:
    rows = [
        {"type": "calculate", "name": VERSION, "calculation": f"'{spec.version}'"},
        {"type": f"select_one {SITE}", "name": SITE, "label": "Site", "required": "yes"},
        {
            "type": "geopoint",
            "name": POSITION,
            "label": "GPS point where the ASM was seen",
            "hint": "Optional: riskreg measures the distance to the site from it.",
        },
        {"type": "begin_group", "name": GROUP, "label": "Observation"},
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


def workbook(spec: ObservationSpec) -> bytes:
    """The XLSForm as .xlsx bytes: survey, choices and settings sheets."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    _write(survey, SURVEY_HEADER, ([row.get(c, "") for c in SURVEY_HEADER] for row in survey_rows(spec)))
    _write(book.create_sheet("choices"), ("list_name", "name", "label"), choice_rows(spec))
    _write(
        book.create_sheet("settings"),
        ("form_title", "form_id", "version"),
        [(FORM_TITLE, FORM_ID, spec.version)],
    )
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
