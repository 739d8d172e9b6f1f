"""Submissions exports as KoboToolbox and ODK Central write them, made from riskreg's own XLSForm.

The generator reads the XLSForm that /sites/observation-form.xlsx serves (question names, groups,
types, choice lists, version) and writes plausible submissions in each tool's layout: Kobo's
group paths with '/', its split geopoint columns and metadata (`_uuid`, `_submission_time`, ...),
';'-separated CSV; ODK Central's paths with '-', `position-Latitude`, `SubmissionDate`, `KEY`,
`meta-instanceID`, ','-separated CSV. `python -m tests.fieldform_files` rewrites tests/data/.
"""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl

DATA = Path(__file__).parent / "data"
ROWS = 200
FIRST_DAY = date(2025, 1, 1)  # fixed dates, all in the past: the files do not age
# The sites of the committed files (ids 1..3 in a fresh database): the form's version depends on them.
SITES = (
    {"name": "Tarkwa North", "country": "Ghana", "latitude": 5.3, "longitude": -1.99},
    {"name": "Kibali East", "country": "DR Congo", "latitude": 3.13, "longitude": 29.58},
    {"name": "Geita Hill", "country": "Tanzania", "latitude": -2.87, "longitude": 32.2},
)
WORDS = ("gold", "tin", "tantalum", "cobalt", "near the river", "new pits", "camp", "sluice")


@dataclass
class Question:
    path: tuple[str, ...]  # groups, then the name
    kind: str  # the XLSForm type without the list
    list_name: str = ""

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass
class FormDefinition:
    questions: list[Question]
    choices: dict[str, list[tuple[str, str]]]  # list -> (name, label)
    version: str
    title: str
    labels: dict[str, str] = field(default_factory=dict)  # question name -> label

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)


def read_xlsform(data: bytes) -> FormDefinition:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    survey = [dict(zip(sheets["survey"][0], row, strict=False)) for row in sheets["survey"][1:]]
    choices: dict[str, list[tuple[str, str]]] = {}
    for list_name, name, label, *_other_languages in sheets["choices"][1:]:  # English first
        choices.setdefault(list_name, []).append((str(name), label))
    settings = dict(zip(sheets["settings"][0], sheets["settings"][1], strict=True))
    groups: list[str] = []
    questions, labels = [], {}
    for row in survey:
        kind, name = (row["type"] or "").split(), row["name"]
        if kind[0] == "begin_group":
            groups.append(name)
        elif kind[0] == "end_group":
            groups.pop()
        else:
            questions.append(Question((*groups, name), kind[0], kind[1] if len(kind) > 1 else ""))
            labels[name] = row.get("label::English (en)") or row.get("label") or name
            if kind[0] == "calculate":
                questions[-1].list_name = row["calculation"].strip("'")
    return FormDefinition(questions, choices, str(settings["version"]), settings["form_title"], labels)


def _offset(lat: float, lon: float, km: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = km / 111.2 * math.cos(bearing)
    dlon = km / (111.2 * math.cos(math.radians(lat))) * math.sin(bearing)
    return round(lat + dlat, 6), round(lon + dlon, 6)


def submissions(form: FormDefinition, sites: list[dict[str, Any]], rows: int = ROWS, seed: int = 11):
    """Answers by question name (plus `_meta`), as a phone would send them."""
    rng = random.Random(seed)
    result = []
    for index in range(rows):
        site = sites[index % len(sites)]
        answers: dict[str, Any] = {}
        for q in form.questions:
            if q.kind == "calculate":
                answers[q.name] = q.list_name
            elif q.kind == "select_one" and q.list_name == "site_id":
                answers[q.name] = str(site["id"])
            elif q.kind == "select_one":
                answers[q.name] = rng.choice(form.choices[q.list_name])[0]
            elif q.kind == "date":
                answers[q.name] = (FIRST_DAY + timedelta(days=rng.randrange(360))).isoformat()
            elif q.kind == "integer":
                answers[q.name] = rng.choice([0, 12, 40, 120, 470, rng.randrange(1, 900)])
            elif q.kind == "text":
                answers[q.name] = rng.choice(WORDS) if rng.random() < 0.7 else ""
            else:
                answers[q.name] = None
        _place(answers, site, rng)
        submitted = datetime(2025, 12, 31, 8) + timedelta(minutes=17 * index)
        answers["_meta"] = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "submitted": submitted,
            "id": 90_000 + index,
        }
        result.append(answers)
    return result


def _place(answers: dict[str, Any], site: dict[str, Any], rng: random.Random) -> None:
    """Where, distance and GPS point that agree with each other (and with riskreg's rules)."""
    roll = rng.random()
    km = rng.choice([0.8, 2.5, 4.0, 7.5, 14.0, 30.0])
    answers["position"] = answers["distance_km"] = None
    if roll < 0.3:
        answers["location"] = "on_concession"
        if rng.random() < 0.5:
            answers["position"] = _offset(site["latitude"], site["longitude"], 0.3, rng)
    elif roll < 0.6:  # no Where: riskreg works it out from the GPS point
        answers["location"] = ""
        answers["position"] = _offset(site["latitude"], site["longitude"], km, rng)
    else:
        answers["location"] = "adjacent" if km <= 4 else "distant"
        if rng.random() < 0.5:
            answers["distance_km"] = km
        else:
            answers["position"] = _offset(site["latitude"], site["longitude"], km, rng)


def _geo_text(point: tuple[float, float] | None) -> str:
    return "" if point is None else f"{point[0]} {point[1]} 210.0 4.5"


def kobo_table(form: FormDefinition, answers: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    headers = ["start", "end"]
    for q in form.questions:
        headers.append("/".join(q.path))
        if q.kind == "geopoint":
            base = "/".join(q.path)
            headers += [f"_{base}_{part}" for part in ("latitude", "longitude", "altitude", "precision")]
    headers += ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status", "_notes"]
    headers += ["_status", "_submitted_by", "__version__", "_tags", "_index"]
    rows = []
    for index, a in enumerate(answers, start=1):
        meta = a["_meta"]
        start = meta["submitted"] - timedelta(hours=30)
        row: list[Any] = [start.isoformat() + ".000+00:00", (start + timedelta(minutes=9)).isoformat()]
        for q in form.questions:
            value = a.get(q.name)
            if q.kind == "geopoint":
                point = value
                row.append(_geo_text(point))
                row += [point[0], point[1], 210.0, 4.5] if point else ["", "", "", ""]
            else:
                row.append("" if value is None else value)
        row += [f"uuid:{meta['uuid']}", meta["id"], meta["uuid"], meta["submitted"].isoformat(), "", ""]
        row += ["submitted_via_web", "monitor1", "vHb4Kq3Wc9", "", index]
        rows.append(row)
    return headers, rows


def odk_table(form: FormDefinition, answers: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    headers = ["SubmissionDate"]
    for q in form.questions:
        base = "-".join(q.path)
        if q.kind == "geopoint":
            headers += [f"{base}-{part}" for part in ("Latitude", "Longitude", "Altitude", "Accuracy")]
        else:
            headers.append(base)
    headers += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent"]
    headers += ["AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    rows = []
    for a in answers:
        meta = a["_meta"]
        row: list[Any] = [meta["submitted"].isoformat(timespec="milliseconds") + "Z"]
        for q in form.questions:
            value = a.get(q.name)
            if q.kind == "geopoint":
                row += [value[0], value[1], 210.0, 4.5] if value else ["", "", "", ""]
            else:
                row.append("" if value is None else value)
        instance = f"uuid:{meta['uuid']}"
        row += [instance, instance, 7, "monitor1", 0, 0, "", "", "collect:X1Y2Z3", 0, form.version]
        rows.append(row)
    return headers, rows


def to_csv(headers: list[str], rows: list[list[Any]], delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    quoting = csv.QUOTE_ALL if delimiter == ";" else csv.QUOTE_MINIMAL  # as each tool writes them
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def to_xlsx(headers: list[str], rows: list[list[Any]], title: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headers)
    for row in rows:
        sheet.append([None if v == "" else v for v in row])
    book.create_sheet("repeat_groups_none")  # Kobo adds a sheet per repeat group after the first
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LAYOUTS: dict[str, Callable[..., tuple[list[str], list[list[Any]]]]] = {"kobo": kobo_table, "odk": odk_table}


def export_files(
    form: FormDefinition, sites: list[dict[str, Any]], rows: int = ROWS, only: str = ""
) -> dict[str, bytes]:
    """The four files of tests/data (each layout as .xlsx and .csv), or the one named `only`."""
    answers = submissions(form, sites, rows)
    files = {}
    for layout, build in LAYOUTS.items():
        headers, table = build(form, answers)
        for suffix in ("csv", "xlsx"):
            name = f"{layout}-submissions.{suffix}"
            if only and name != only:
                continue
            if suffix == "csv":
                files[name] = to_csv(headers, table, ";" if layout == "kobo" else ",")
            else:
                files[name] = to_xlsx(headers, table, form.title)
    return files


def xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def edit_csv(data: bytes, change: Callable[[list[str], list[list[str]]], None]) -> bytes:
    """An export edited as text: `change(headers, rows)` works on lists of strings."""
    rows = csv_rows(data)
    delimiter = ";" if data.split(b"\n", 1)[0].count(b";") > data.split(b"\n", 1)[0].count(b",") else ","
    change(rows[0], rows[1:])
    return to_csv(rows[0], rows[1:], delimiter)


def set_value(headers: list[str], row: list[str], header: str, value: Any) -> None:
    row[headers.index(header)] = value


def add_sites() -> list[dict[str, Any]]:
    """SITES in the current app's database, as the generator takes them."""
    from riskreg.extensions import db
    from riskreg.sites.models import Site

    made = [Site(**values) for values in SITES]
    db.session.add_all(made)
    db.session.commit()
    return [{"id": s.id, "latitude": s.latitude, "longitude": s.longitude} for s in made]


def current_form() -> FormDefinition:
    """The XLSForm riskreg serves now (app context), read back as the tools would."""
    from riskreg.fieldforms import services, xlsform

    return read_xlsform(xlsform.workbook(services.observation_spec()))


def write_data_files() -> None:
    """Rewrite tests/data/ from the XLSForm of a fresh app holding SITES (the up-to-date test's check)."""
    import tempfile

    from riskreg import create_app
    from riskreg.extensions import db
    from tests.conftest import make_config

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_config(sqlite_path=Path(folder) / "data.sqlite"))
        with app.app_context():
            db.create_all()
            sites = add_sites()
            files = export_files(current_form(), sites)
            db.session.remove()
            db.engine.dispose()
    DATA.mkdir(exist_ok=True)
    for name, data in files.items():
        (DATA / name).write_bytes(data)
        print(f"wrote {DATA / name}")  # noqa: T201


if __name__ == "__main__":
    write_data_files()
