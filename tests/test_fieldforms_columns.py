"""Columns as the tools name them, and GPS points in each of their shapes."""

from __future__ import annotations

import pytest

from riskreg.fieldforms import columns, services
from riskreg.imports.reader import CellError
from tests.conftest import text_of
from tests.fieldform_files import edit_csv, export_files
from tests.fieldform_support import counts, import_file, upload

pytest_plugins = ("tests.fieldform_fixtures",)


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("observation/miners_estimate", ("miners_estimate", "")),  # Kobo
        ("observation-miners_estimate", ("miners_estimate", "")),  # ODK Central
        ("miners_estimate", ("miners_estimate", "")),  # no groups in headers
        ("Observation/Estimated number of miners", ("miners_estimate", "")),  # Kobo, labels
        ("position", ("position", "")),
        ("_position_latitude", ("position", "lat")),
        ("_position_longitude", ("position", "lon")),
        ("position-Latitude", ("position", "lat")),
        ("position_lat", ("position", "lat")),
        ("position_long", ("position", "lon")),
        ("_notes", (None, "")),  # Kobo's metadata, not the notes question
        ("_submission_time", (None, "")),
        ("observation/notes", ("notes", "")),
    ],
)
def test_a_header_names_its_question(app, header, found):
    spec = services.observation_spec()
    names = {f.name for f in spec.fields} | {"site_id", "form_version"}
    labels = {columns.norm(f.label): f.name for f in spec.fields}
    assert columns._question_of(header, names, labels) == found


def test_metadata_columns_are_the_submission_id_and_version(app):
    spec = services.observation_spec()
    headers = ["SubmissionDate", "site_id", "meta-instanceID", "KEY", "FormVersion", "Edits"]
    mapped, _ = columns.map_columns(headers, spec)
    assert mapped.submission == [3, 2]  # KEY first
    assert mapped.version == 4
    assert mapped.ignored == ["SubmissionDate", "Edits"]


@pytest.mark.parametrize(
    ("text", "lat", "lon", "point"),
    [
        ("5.36 -2.0 210.0 4.5", None, None, (5.36, -2.0)),
        ("5.36 -2.0", None, None, (5.36, -2.0)),
        (None, 5.36, -2.0, (5.36, -2.0)),
        ("1 1 0 0", "5.36", "-2.0", (5.36, -2.0)),  # the split columns win
        (None, None, None, None),
    ],
)
def test_gps_points(text, lat, lon, point):
    assert columns.parse_geopoint(text, lat, lon) == point


@pytest.mark.parametrize("text", ["5.36", "north east", "nan nan", "5.36 inf"])
def test_gps_points_that_are_not(text):
    with pytest.raises(CellError):
        columns.parse_geopoint(text, None, None)


def test_only_the_combined_gps_column_is_enough(clients, form, field_sites):
    """A Kobo export without the split columns: distances are measured from the one string."""

    def combined_only(headers, rows):
        for index in sorted((i for i, h in enumerate(headers) if h.startswith("_position_")), reverse=True):
            del headers[index]
            for row in rows:
                del row[index]

    data = edit_csv(
        export_files(form, field_sites, rows=30, only="kobo-submissions.csv")["kobo-submissions.csv"],
        combined_only,
    )
    page = text_of(upload(clients["risk_manager"], data, "kobo.csv"))
    assert "30 new observations" in page and "measured" in page and "from the GPS point" in page
    import_file(clients["risk_manager"], data, "kobo.csv")
    assert counts()[0] == 30
