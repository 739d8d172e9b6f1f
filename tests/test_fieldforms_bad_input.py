"""Bad and hostile field-data files: every problem in the preview with row, column and reason; nothing
written; hostile files refused before any parser sees them; CSRF and permissions on every route."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites.models import Site
from tests.conftest import running_app, text_of
from tests.fieldform_files import (
    add_sites,
    csv_rows,
    current_form,
    edit_csv,
    export_files,
    set_value,
    to_xlsx,
)
from tests.fieldform_support import (
    CONFIRM,
    UPLOAD,
    counts,
    problems_of,
    stored_uploads,
    token_of,
    upload,
)
from tests.xlsx_files import with_entities, zip_bomb

pytest_plugins = ("tests.fieldform_fixtures",)  # its fixtures: field_sites, form, exports

ODK = "odk-submissions.csv"
KOBO_XLSX = "kobo-submissions.xlsx"


@pytest.fixture
def small(form, field_sites) -> dict[str, bytes]:
    """20-row exports: enough for every case, quicker to write than tests/data's 200 rows."""
    return {name: export_files(form, field_sites, rows=20, only=name)[name] for name in (ODK, KOBO_XLSX)}


def edited(files, change, name: str = ODK) -> bytes:
    return edit_csv(files[name], change)


def cell(header: str, value: str, row: int = 0):
    """An edit that sets one cell of the file's data row `row` (0 = the file's row 2)."""
    return lambda headers, rows: set_value(headers, rows[row], header, value)


def previewed_problems(app, client, data: bytes, filename: str = "odk.csv") -> list[tuple[str, str, str]]:
    before = counts()
    response = upload(client, data, filename)
    assert response.status_code == 200
    assert CONFIRM not in response.get_data(as_text=True)
    assert counts() == before and stored_uploads(app) == []
    return problems_of(response)


FUTURE = (today() + timedelta(days=2)).isoformat()
# (case, column, value, data row, reason); data row 2 is an adjacent observation with a distance
CASES = [
    ("unknown choice", "observation-mercury_use", "lots", 0, "'lots' is not a choice of mercury use"),
    ("not yes or no", "observation-children_seen", "maybe", 0, "'maybe' is not yes or no."),
    ("future date", "observation-observed_on", FUTURE, 0, "cannot be in the future"),
    ("not a date", "observation-observed_on", "31/02/2025", 0, "'31/02/2025' is not a date"),
    ("unknown site", "site_id", "77", 0, "There is no site '77' in riskreg."),
    ("unknown version", "form_version", "0badc0de.123456", 0, "Made with version 0badc0de.123456 of the"),
    ("missing required", "observation-source", "", 0, "Source: required but empty."),
    ("words for miners", "observation-miners_estimate", "many", 0, "'many' is not a number."),
    ("half a miner", "observation-miners_estimate", "12.5", 0, "'12.5' is not a whole number."),
    ("negative miners", "observation-miners_estimate", "-3", 0, "The number of miners must be from 0 to"),
    ("too many miners", "observation-miners_estimate", "1e400", 0, "'1e400' is not a number."),
    ("comma decimal", "observation-distance_km", "1,5", 2, "'1,5' is not a number."),
    ("negative distance", "observation-distance_km", "-2", 2, "The distance cannot be negative."),
    ("GPS off the globe", "position-Latitude", "95", 0, "is off the globe"),
    ("GPS not numbers", "position-Longitude", "east", 0, "is not two numbers"),
    (
        "distance on the concession",
        "observation-location",
        "on_concession",
        2,
        "ASM on the concession has no distance",
    ),
    ("distant without a distance", "observation-distance_km", "", 2, "Give the distance in km"),
]


@pytest.mark.parametrize(
    ("column", "value", "row", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_bad_value_is_a_problem_with_row_column_and_reason(
    app, clients, small, column, value, row, reason
):
    data = edited(small, cell(column, value, row))
    if reason.startswith("Give the distance"):  # row 2 says adjacent: make it distant without any distance
        data = edit_csv(data, cell("observation-location", "distant", row))
    problems = previewed_problems(app, clients["risk_manager"], data)
    expected_column = "observation-distance_km" if "on the concession" in reason else column
    if column.startswith("position-"):
        expected_column = "position"
    assert len(problems) == 1, problems
    assert problems[0][:2] == (str(row + 2), expected_column)
    assert reason in problems[0][2]


def test_an_empty_submission_id(app, clients, small):
    def blank(headers, rows):
        set_value(headers, rows[3], "KEY", "")
        set_value(headers, rows[3], "meta-instanceID", "")

    problems = previewed_problems(app, clients["risk_manager"], edited(small, blank))
    assert problems == [("5", "KEY", "The submission id is empty.")]


def test_the_rows_of_problems_are_the_files_rows(app, clients, small):
    data = edited(small, lambda h, rows: set_value(h, rows[9], "observation-source", "rumour"))
    problems = previewed_problems(app, clients["risk_manager"], data)
    assert problems == [("11", "observation-source", problems[0][2])]
    assert "'rumour' is not a choice of source" in problems[0][2]


def test_an_inactive_site(app, clients, small):
    db.session.get(Site, 2).active = False
    db.session.commit()
    problems = previewed_problems(app, clients["risk_manager"], small[ODK])
    assert problems[0][1:] == ("site_id", "The site Kibali East is inactive in riskreg.")
    assert len(problems) == sum(1 for row in csv_rows(small[ODK])[1:] if row[2] == "2")


def test_a_site_without_coordinates_and_no_where(app, clients, small):
    for site in db.session.query(Site):
        site.latitude = site.longitude = None
    db.session.commit()
    problems = previewed_problems(app, clients["risk_manager"], small[ODK])
    assert ("2", "observation-location") == problems[0][:2]
    assert "riskreg has no coordinates for Tarkwa North, so it cannot tell where" in problems[0][2]


def test_the_same_submission_twice_in_a_file(app, clients, small):
    def twice(headers, rows):
        for column in ("KEY", "meta-instanceID"):
            set_value(headers, rows[5], column, rows[0][headers.index(column)])

    problems = previewed_problems(app, clients["risk_manager"], edited(small, twice))
    assert problems == [("7", "KEY", "The same submission as row 2.")]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("form_version", "has no form_version column: it is not an export of riskreg's observation form"),
        ("KEY", "has no submission id column"),
        ("observation-source", "has no column for source, a required question"),
    ],
)
def test_a_missing_column_is_a_problem_of_the_file(app, clients, small, header, reason):
    def drop(headers, rows):
        doomed = [
            headers.index(h)
            for h in (header, "FormVersion", "meta-instanceID")
            if header != "observation-source" or h == header
        ]
        for index in sorted(set(doomed), reverse=True):
            del headers[index]
            for row in rows:
                del row[index]

    problems = previewed_problems(app, clients["risk_manager"], edited(small, drop))
    assert any(row == "File" and reason in text for row, _, text in problems), problems


def test_a_file_with_only_its_header(app, clients, small):
    header_only = small[ODK].split(b"\r\n", 1)[0] + b"\r\n"
    problems = previewed_problems(app, clients["risk_manager"], header_only)
    assert problems == [("File", "—", "The file has no submissions (only a header row).")]


def test_a_second_column_for_a_question(app, clients, small):
    def duplicate(headers, rows):
        headers.append("Estimated number of miners")  # the label of observation-miners_estimate
        for row in rows:
            row.append("4")

    problems = previewed_problems(app, clients["risk_manager"], edited(small, duplicate))
    assert problems == [
        ("1", "Estimated number of miners", "A second column for miners_estimate; remove one of them.")
    ]


# --- hostile and unusable files: refused outright, nothing parsed, nothing written


def refused(app, client, data: bytes, filename: str, reason: str) -> None:
    before = counts()
    response = upload(client, data, filename)
    assert response.status_code == 200
    page = text_of(response)
    assert reason in page, page[:2000]
    assert "Field data preview" not in page
    assert counts() == before and stored_uploads(app) == []


def test_a_zip_bomb(app, clients, small):
    bomb = zip_bomb(small[KOBO_XLSX], megabytes=250)
    refused(app, clients["risk_manager"], bomb, "kobo.xlsx", "compressed bomb")


def test_entity_expansion(app, clients, small):
    hostile = with_entities(small[KOBO_XLSX])
    refused(app, clients["risk_manager"], hostile, "kobo.xlsx", "declares a DTD or XML entities")


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 50)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 60_000)
    return app


@pytest.mark.parametrize("name", ["kobo-submissions.xlsx", "odk-submissions.xlsx", "odk-submissions.csv"])
def test_too_many_rows(small_limits, clients, form, field_sites, name):
    data = export_files(form, field_sites, rows=51)[name]
    refused(small_limits, clients["risk_manager"], data, name, "more than 50 submissions")


def test_a_csv_over_the_size_limit(small_limits, clients, form, field_sites):
    data = export_files(form, field_sites, rows=40)["odk-submissions.csv"] + b" " * 60_000
    refused(small_limits, clients["risk_manager"], data, "odk.csv", "riskreg imports exports of up to")


def test_a_workbook_over_the_size_limit(small_limits, clients, form, field_sites):
    headers, *rows = csv_rows(export_files(form, field_sites, rows=40)["odk-submissions.csv"])
    big = to_xlsx(headers, rows * 12, "x")
    assert len(big) > 60_000
    refused(small_limits, clients["risk_manager"], big, "big.xlsx", "riskreg imports workbooks of up to")


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "odk.csv", "The file is empty."),
        ("SubmissionDate;Ort\n2025;Zürich\n".encode("latin-1"), "odk.csv", "not UTF-8"),
        (b"KEY,site_id\n\0\0\0\n", "odk.csv", "binary data"),
        (b'KEY,site_id\n"' + b"x" * 200_000 + b'",1\n', "odk.csv", "This CSV cannot be read"),
        (b"{}", "odk.json", "as .xlsx or .csv"),
        (b"PK\x03\x04 not really", "kobo.xlsx", "the package is damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "kobo.xls", "old Excel 97-2003 format"),
    ],
    ids=["empty", "latin-1", "nul", "huge-field", "json", "broken-zip", "xls"],
)
def test_unusable_files(app, clients, data, filename, reason):
    refused(app, clients["risk_manager"], data, filename, reason)


# --- CSRF and permissions


def test_csrf_on_upload_and_confirm(tmp_path):
    for app in running_app(tmp_path, WTF_CSRF_ENABLED=True):
        from riskreg.auth import services as auth_services
        from riskreg.auth.models import Role
        from tests.conftest import PASSWORD

        user = auth_services.create_user(
            email="rm@example.com", name="Rhea", role=Role.RISK_MANAGER, password=PASSWORD
        )
        db.session.commit()
        sites = add_sites()
        data = export_files(current_form(), sites, rows=5)[ODK]
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        before = counts()
        forged = upload(client, data, "odk.csv")
        assert forged.status_code == 400 and "not sent from riskreg" in text_of(forged)
        form_page = client.get(UPLOAD).get_data(as_text=True)
        csrf = form_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        preview = client.post(
            UPLOAD,
            data={"file": (io.BytesIO(data), "odk.csv"), "csrf_token": csrf},
            content_type="multipart/form-data",
        )
        assert "5 new observations" in text_of(preview)
        no_token = client.post(CONFIRM, data={"token": token_of(preview)})
        assert no_token.status_code == 400
        assert counts() == before


@pytest.mark.parametrize("role", ["department_head", "executive"])
@pytest.mark.parametrize(
    ("method", "url"),
    [("get", UPLOAD), ("post", UPLOAD), ("post", CONFIRM), ("post", UPLOAD + "/cancel")],
)
def test_department_heads_and_executives_get_403(app, clients, small, role, method, url):
    client = clients[role]
    if method == "get":
        response = client.get(url)
    elif url == UPLOAD:
        response = upload(client, small[ODK], "odk.csv")
    else:
        manager_preview = upload(clients["risk_manager"], small[ODK], "odk.csv")
        response = client.post(url, data={"token": token_of(manager_preview)})
    assert response.status_code == 403
    assert counts()[0] == 0


def test_someone_elses_preview_cannot_be_confirmed(app, clients, small):
    token = token_of(upload(clients["risk_manager"], small[ODK], "odk.csv"))
    response = clients["admin"].post(CONFIRM, data={"token": token}, follow_redirects=True)
    assert "is not yours" in text_of(response)
    assert counts()[0] == 0
