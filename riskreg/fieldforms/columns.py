"""Which column of an export holds which question, and each cell as a typed value (pure).

KoboToolbox and ODK Central name columns by the form's field names with the group path in front
(`observation/miners_estimate`, `observation-miners_estimate`), or, in Kobo's "labels" exports, by
the questions' labels. A geopoint comes as one "lat lon alt accuracy" column and/or split columns
(`_position_latitude`, `position-Latitude`, `position_lat`). Metadata columns are recognised by
their exact names; every other column is listed as ignored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from riskreg.fieldforms.xlsform import NO, POSITION, SITE, VERSION, YES, FormField, ObservationSpec
from riskreg.i18n import gettext as _
from riskreg.imports.reader import CellError, Problem, as_text, parse_date, parse_enum

SUBMISSION_COLUMNS = ("key", "_uuid", "meta/instanceid", "meta-instanceid", "instanceid")  # by preference
META_VERSION = "formversion"  # ODK Central: the settings version, when the calculate column is missing
REVIEW_COLUMNS = ("reviewstate", "_validation_status")  # ODK Central, KoboToolbox
REJECTED = {"rejected", "validation_status_not_approved", "not approved"}
GEO_PARTS = {
    "latitude": "lat",
    "lat": "lat",
    "longitude": "lon",
    "long": "lon",
    "lon": "lon",
    "lng": "lon",
    "altitude": "alt",
    "alt": "alt",
    "accuracy": "acc",
    "precision": "acc",
    "acc": "acc",
}
GEO_SUFFIX = re.compile(r"^(?P<base>.+?)[_-](?P<part>" + "|".join(GEO_PARTS) + r")$", re.IGNORECASE)
TRUE = {YES, "true", "1", "y"}
FALSE = {NO, "false", "0", "n"}


@dataclass
class ColumnMap:
    fields: dict[str, int] = field(default_factory=dict)  # question name -> column index
    geo: dict[str, int] = field(default_factory=dict)  # "" (one string), "lat", "lon" -> index
    submission: list[int] = field(default_factory=list)  # submission-id columns, by preference
    version: int | None = None
    review: int | None = None  # the tool's review state of each submission
    ignored: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The file's header for a question (problems point at the column the person sees)."""
        index = self.fields.get(name)
        return self.headers[index] if index is not None else name


def norm(text: str) -> str:
    """A header, label or name as compared: spaces collapsed, lower case, straight apostrophes."""
    return " ".join(text.replace("’", "'").split()).lower()


def map_columns(headers: list[str], spec: ObservationSpec) -> tuple[ColumnMap, list[Problem]]:
    names = {f.name for f in spec.fields} | {SITE, VERSION}
    labels = {norm(label): name for label, name in spec.aliases} | {norm(_("Site")): SITE}
    labels |= {norm(f.label): f.name for f in spec.fields} | {"site": SITE}
    columns, problems = ColumnMap(headers=headers), []
    submission: dict[str, int] = {}
    for index, header in enumerate(headers):
        lowered = header.lower()
        if not header:
            continue
        if lowered in SUBMISSION_COLUMNS:
            submission.setdefault(lowered, index)
            continue
        if lowered in REVIEW_COLUMNS:
            columns.review = index
            continue
        if lowered == META_VERSION:
            columns.version = columns.version if columns.version is not None else index
            continue
        name, part = _question_of(header, names, labels)
        if name is None:
            columns.ignored.append(header)
        elif name == POSITION:
            if part in ("", "lat", "lon"):
                columns.geo.setdefault(part, index)
        elif name == VERSION:
            columns.version = index  # the form's own column wins over FormVersion
        elif name in columns.fields:
            problems.append(
                Problem(1, header, _("A second column for %(name)s; remove one of them.", name=name))
            )
        else:
            columns.fields[name] = index
    columns.submission = [submission[key] for key in SUBMISSION_COLUMNS if key in submission]
    problems += _missing(columns, spec)
    return columns, problems


def rejected(cells: list[Any], columns: ColumnMap) -> bool:
    """Rejected by a reviewer in the tool: a submission riskreg must not record."""
    value = cells[columns.review] if columns.review is not None else None
    return value is not None and norm(as_text(value)) in REJECTED


def _question_of(header: str, names: set[str], labels: dict[str, str]) -> tuple[str | None, str]:
    for candidate in (header, header.rsplit("/", 1)[-1]):
        if norm(candidate) in labels:
            return labels[norm(candidate)], ""
    segments = [s for s in re.split(r"[/-]", header) if s]
    last = segments[-1] if segments else ""
    if last in names or last == POSITION:
        return last, ""
    last = last.lstrip("_")  # Kobo's split geopoint columns start with "_"; its metadata too (_notes)
    if len(segments) >= 2 and segments[-2].lstrip("_") == POSITION and last.lower() in GEO_PARTS:
        return POSITION, GEO_PARTS[last.lower()]  # ODK Central: position-Latitude
    match = GEO_SUFFIX.match(last)
    if match and match.group("base") == POSITION:
        return POSITION, GEO_PARTS[match.group("part").lower()]  # Kobo: _position_latitude
    return None, ""


def _missing(columns: ColumnMap, spec: ObservationSpec) -> list[Problem]:
    problems = []
    if not columns.submission:
        problems.append(
            Problem(
                0,
                "",
                _(
                    "The file has no submission id column (_uuid, meta/instanceID or KEY): export the "
                    "submissions with their metadata, as KoboToolbox and ODK Central do by default."
                ),
            )
        )
    if columns.version is None:
        problems.append(
            Problem(
                0,
                "",
                _(
                    "The file has no %(column)s column: it is not an export of riskreg's observation form. "
                    "Download the form from riskreg, collect with it and export its submissions.",
                    column=VERSION,
                ),
            )
        )
    required = [SITE] + [f.name for f in spec.fields if f.required and f.name != "location"]
    for name in required:
        if name not in columns.fields:
            problems.append(
                Problem(
                    0,
                    name,
                    _("The file has no column for %(name)s, a required question of the form.", name=name),
                )
            )
    return problems


def parse_value(question: FormField, value: Any, aliases: dict[str, str] | None = None) -> Any:
    """A cell of a question as riskreg stores it; raises CellError with the reason. `aliases` maps a
    choice's label in any language (normalised) to its value, for exports made with labels."""
    if aliases and question.kind in ("select_one", "boolean") and isinstance(value, str):
        value = aliases.get(norm(value), value)
    if question.kind == "select_one":
        what = _("choice of %(question)s", question=question.label.lower())
        return parse_enum(question.enum, value, what)
    if question.kind == "boolean":
        text = as_text(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise CellError(_("%(value)s is not yes or no.", value=repr(as_text(value))))
    if question.kind == "date":
        return parse_date(value)  # a date in the future: monitoring.check_observation says so
    if question.kind in ("integer", "decimal"):
        return _number(question, value)
    text = as_text(value).strip()
    if question.max_length and len(text) > question.max_length:
        raise CellError(
            _("Longer than %(limit)s characters (%(length)s).", limit=question.max_length, length=len(text))
        )
    return text


def _number(question: FormField, value: Any) -> int | float:
    number = _finite(value)
    if number is None:
        raise CellError(_("%(value)s is not a number.", value=repr(as_text(value))))
    if question.kind == "integer":
        if not float(number).is_integer():
            raise CellError(_("%(value)s is not a whole number.", value=repr(as_text(value))))
        number = int(number)
    if (question.minimum is not None and number < question.minimum) or (
        question.maximum is not None and number > question.maximum
    ):
        raise CellError(question.range_message or _("%(number)s is out of range.", number=number))
    return number


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or isinstance(value, date | datetime):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = as_text(value).strip()
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) or len(text) > 30:
            return None
        number = float(text)
    return number if math.isfinite(number) else None


def parse_site(value: Any, ids: dict[int, Any], by_name: dict[str, int]) -> int:
    """The site's id from its choice value (the id) or its label (the name)."""
    number = _finite(value)
    if number is not None and number.is_integer() and int(number) in ids:
        return int(number)
    site_id = by_name.get(norm(as_text(value)))
    if site_id is None:
        raise CellError(_("There is no site %(site)s in riskreg.", site=repr(as_text(value))))
    return site_id


def parse_geopoint(text: Any, lat: Any, lon: Any) -> tuple[float, float] | None:
    """(latitude, longitude) from split columns or the "lat lon alt accuracy" string; None if empty."""
    if lat is None and lon is None:
        if text is None:
            return None
        parts = as_text(text).split()
        if len(parts) < 2:
            raise CellError(
                _(
                    "%(value)s is not a GPS point (latitude longitude altitude accuracy).",
                    value=repr(as_text(text)),
                )
            )
        lat, lon = parts[0], parts[1]
    latitude, longitude = _finite(lat), _finite(lon)
    if latitude is None or longitude is None:
        raise CellError(
            _("The GPS point (%(lat)s, %(lon)s) is not two numbers.", lat=as_text(lat), lon=as_text(lon))
        )
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise CellError(_("The GPS point (%(lat)s, %(lon)s) is off the globe.", lat=latitude, lon=longitude))
    return latitude, longitude


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))
