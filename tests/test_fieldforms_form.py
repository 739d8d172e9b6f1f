"""/sites/observation-form.xlsx: a valid XLSForm made from the web form's own fields and choices."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from riskreg.extensions import db
from riskreg.fieldforms import services, xlsform
from riskreg.sites import monitoring
from riskreg.sites.forms import ObservationForm
from riskreg.sites.models import Site
from tests.fieldform_files import DATA, SITES, add_sites, current_form, export_files, xlsx_rows

FORM_URL = "/sites/observation-form.xlsx"


def sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


@pytest.fixture
def downloaded(clients, make_site) -> bytes:
    make_site(name="Tarkwa North", latitude=5.3, longitude=-1.99)
    make_site(name='=HYPERLINK("x")', latitude=1.0, longitude=1.0)  # a name that must stay text
    make_site(name="Closed Pit", active=False)
    make_site(name="Pit ${nothing}")  # would be read as a reference to a question
    response = clients["risk_manager"].get(FORM_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "riskreg-observation-form.xlsx" in response.headers["Content-Disposition"]
    return response.get_data()


def test_pyxform_converts_it_without_any_error_or_warning(downloaded):
    warnings: list[str] = []
    # ODK Validate (bundled with pyxform) runs when Java is installed: it checks every expression
    result = convert(
        xlsform=downloaded, warnings=warnings, validate=shutil.which("java") is not None, file_type=".xlsx"
    )
    assert warnings == []
    assert 'id="riskreg_asm_observation"' in result.xform


def test_it_has_survey_choices_and_settings_from_the_web_form(app, downloaded):
    book = sheets(downloaded)
    assert list(book) == ["survey", "choices", "settings"]
    survey = [dict(zip(book["survey"][0], row, strict=True)) for row in book["survey"][1:]]
    types = {row["name"]: row["type"] for row in survey}
    web_form = ObservationForm(formdata=None, meta={"csrf": False})
    choices: dict[str, list[str]] = {}
    for list_name, name, *_labels in book["choices"][1:]:  # a label column per language
        choices.setdefault(list_name, []).append(name)
    for field in web_form:
        assert field.name in types, field.name
        if field.type == "EnumSelectField":
            list_name = types[field.name].split()[1]
            assert choices[list_name] == [m.value for m in field.enum_cls]
    # every question the import stores is on the form, and nothing else of the model
    assert set(monitoring.OBSERVATION_FIELDS) - {"site_id", "submission_id"} == {f.name for f in web_form}
    assert types["site_id"] == "select_one site_id" and types["position"] == "geopoint"
    site_names = [row[2] for row in book["choices"][1:] if row[0] == "site_id"]
    assert site_names == ['=HYPERLINK("x")', "Pit $ {nothing}", "Tarkwa North"]  # active sites only
    settings = dict(zip(*book["settings"], strict=True))
    assert settings["form_id"] == xlsform.FORM_ID
    assert settings["version"] == services.observation_spec().version
    assert next(r for r in survey if r["name"] == "form_version")["calculation"] == f"'{settings['version']}'"


def test_a_site_name_is_never_a_formula(downloaded):
    book = openpyxl.load_workbook(io.BytesIO(downloaded))
    cells = [c for row in book["choices"].iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_version_follows_the_definitions(app):
    spec = services.observation_spec()
    fields = list(spec.fields)
    location = next(i for i, f in enumerate(fields) if f.name == "location")
    one_more = dataclasses.replace(
        fields[location], choices=(*fields[location].choices, ("in_town", "In town"))
    )
    relabelled = dataclasses.replace(fields[location], label="Where exactly")
    with_choice = xlsform.ObservationSpec((*fields[:location], one_more, *fields[location + 1 :]), spec.sites)
    with_label = xlsform.ObservationSpec(
        (*fields[:location], relabelled, *fields[location + 1 :]), spec.sites
    )
    with_site = xlsform.ObservationSpec(spec.fields, ((99, "New Site"),))
    assert with_choice.definition != spec.definition  # the import would misread: another form
    assert with_label.definition == spec.definition and with_label.version != spec.version
    assert with_site.definition == spec.definition and with_site.version != spec.version


@pytest.mark.parametrize("role", ["department_head", "executive"])
def test_only_those_who_record_monitoring_download_it(clients, role):
    assert clients[role].get(FORM_URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(FORM_URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_site_pages_link_to_the_form_and_the_import_for_those_who_may_use_them(clients, make_site):
    site = make_site(name="Tarkwa North")
    for page in ("/sites", f"/sites/{site.id}"):
        manager = clients["risk_manager"].get(page).get_data(as_text=True)
        assert FORM_URL in manager and "/sites/import-observations" in manager
        for role in ("department_head", "executive"):
            other = clients[role].get(page).get_data(as_text=True)
            assert FORM_URL not in other and "/sites/import-observations" not in other


def test_the_files_in_tests_data_are_up_to_date(app):
    """tests/data/ is what the generator writes from today's form: `python -m tests.fieldform_files`."""
    sites = add_sites()  # first: the form's version depends on them
    files = export_files(current_form(), sites)
    assert [s.name for s in db.session.query(Site).order_by(Site.id)] == [s["name"] for s in SITES]
    stale = []
    for name, data in files.items():
        committed = Path(DATA / name)
        if not committed.exists():
            stale.append(name)
        elif name.endswith(".csv") and committed.read_bytes() != data:
            stale.append(name)
        elif name.endswith(".xlsx") and xlsx_rows(committed.read_bytes()) != xlsx_rows(data):
            stale.append(name)
    assert stale == [], f"regenerate with: python -m tests.fieldform_files ({stale})"
    assert all(len(xlsx_rows(Path(DATA / n).read_bytes())) == 201 for n in files if n.endswith(".xlsx"))
