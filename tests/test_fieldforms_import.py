"""Importing KoboToolbox and ODK Central exports: preview, confirm all or nothing, audited, idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.fieldforms import columns, plan
from riskreg.modeling import today
from riskreg.sites.models import AsmObservation, AsmPresence, ObservationLocation, Site
from tests.conftest import text_of
from tests.fieldform_files import csv_rows, edit_csv, export_files, set_value, submissions
from tests.fieldform_support import (
    confirm,
    counts,
    import_file,
    stored_uploads,
    token_of,
    upload,
)

pytest_plugins = ("tests.fieldform_fixtures",)  # its fixtures: field_sites, form, exports


def observations() -> list[AsmObservation]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AsmObservation).order_by(AsmObservation.id)))


def test_a_200_row_kobo_export_imported_twice_changes_nothing_the_second_time(app, clients, exports):
    client = clients["risk_manager"]
    preview = upload(client, exports["kobo-submissions.xlsx"], "kobo-submissions.xlsx")
    page = text_of(preview)
    assert "200 new observations" in page and "0 imported before" in page and "0 problems" in page
    done = client.post("/sites/import-observations/confirm", data={"token": token_of(preview)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/sites")
    after_first = counts()
    assert after_first[0] == 200
    assert len({o.submission_id for o in observations()}) == 200

    again = text_of(upload(client, exports["kobo-submissions.xlsx"], "kobo-submissions.xlsx"))
    assert "0 new observations" in again and "200 imported before" in again
    assert "Nothing to import: every submission in this file was imported before." in again
    assert "/sites/import-observations/confirm" not in again
    assert counts() == after_first
    assert stored_uploads(app) == []  # nothing to confirm, nothing kept


@pytest.mark.parametrize(
    "name", ["odk-submissions.csv", "odk-submissions.xlsx", "kobo-submissions.csv"], ids=str
)
def test_each_layout_imports_all_its_rows(clients, exports, name):
    followed = import_file(clients["admin"], exports[name], name)
    assert f"Imported {name}: 200 observations at 3 sites" in text_of(followed)
    assert counts()[0] == 200


def test_the_same_submissions_from_the_other_tool_are_recognised(clients, exports):
    import_file(clients["risk_manager"], exports["kobo-submissions.csv"], "kobo.csv")
    page = text_of(upload(clients["risk_manager"], exports["odk-submissions.csv"], "odk.csv"))
    assert "0 new observations" in page and "200 imported before" in page


def test_values_land_as_the_submissions_give_them(clients, form, field_sites):
    answers = submissions(form, field_sites, rows=200)
    import_file(clients["risk_manager"], export_files(form, field_sites)["odk-submissions.csv"], "odk.csv")
    stored = {o.submission_id: o for o in observations()}
    sites = {s["id"]: s for s in field_sites}
    for a in answers:
        o = stored[a["_meta"]["uuid"]]
        assert o.site_id == int(a["site_id"])
        assert o.observed_on.isoformat() == a["observed_on"]
        assert o.miners_estimate == a["miners_estimate"]
        assert o.children_seen is (a["children_seen"] == "yes")
        assert o.mercury_use.value == a["mercury_use"] and o.source.value == a["source"]
        assert o.minerals == a["minerals"] and o.notes == a["notes"]
        if a["location"]:
            assert o.location.value == a["location"]
        if a["distance_km"] is not None:
            assert o.distance_km == a["distance_km"]
        elif a["position"] and a["location"] != "on_concession":  # measured from the GPS point
            site = sites[o.site_id]
            expected = columns.haversine_km(a["position"], (site["latitude"], site["longitude"]))
            assert o.distance_km == pytest.approx(expected, abs=0.01)
            if not a["location"]:
                near = o.distance_km <= app_adjacent_km()
                assert o.location is (ObservationLocation.ADJACENT if near else ObservationLocation.DISTANT)
        else:
            assert o.distance_km is None


def app_adjacent_km() -> float:
    from riskreg.sites.monitoring import adjacent_km

    return adjacent_km()


def test_haversine_matches_a_known_distance():
    # Accra to Kumasi, about 200 km as the crow flies
    assert columns.haversine_km((5.6037, -0.1870), (6.6885, -1.6244)) == pytest.approx(199.6, abs=1.0)
    assert columns.haversine_km((1.0, 1.0), (1.0, 1.0)) == 0


def test_each_observation_is_audited_with_its_values_file_and_submission(clients, exports):
    import_file(clients["risk_manager"], exports["kobo-submissions.xlsx"], "field-march.xlsx")
    db.session.rollback()
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "asm_observation")))
    assert len(events) == 200
    by_id = {o.id: o for o in observations()}
    for event in events:
        o = by_id[event.entity_id]
        assert event.action == "create" and event.actor_id is not None
        assert f"imported from field-march.xlsx, submission {o.submission_id}" in event.note
        assert event.changes["submission_id"] == [None, o.submission_id]
        assert event.changes["observed_on"] == [None, o.observed_on.isoformat()]
        assert event.changes["location"] == [None, o.location.value]


def test_presence_is_refreshed_once_per_site(clients, form, field_sites, monkeypatch):
    """Recent submissions make the sites' ASM presence follow; one presence event per site."""
    recent = (today() - timedelta(days=3)).isoformat()
    file = edit_csv(
        export_files(form, field_sites, rows=30)["odk-submissions.csv"],
        lambda headers, rows: [set_value(headers, row, "observation-observed_on", recent) for row in rows],
    )
    refreshed: list[int] = []
    original = plan.monitoring.refresh_presence

    def counting(site, actor, on=None):
        refreshed.append(site.id)
        return original(site, actor, on)

    monkeypatch.setattr(plan.monitoring, "refresh_presence", counting)
    import_file(clients["risk_manager"], file, "recent.csv")
    assert sorted(refreshed) == [s["id"] for s in field_sites]
    db.session.rollback()
    presence_events = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.entity == "site", AuditEvent.action == "presence"
        )
    )
    assert presence_events == 3
    assert {s.asm_presence for s in db.session.scalars(sa.select(Site))} == {AsmPresence.ON_SITE}


def test_a_kobo_export_with_labels_instead_of_names(clients, form, field_sites):
    """Kobo's "labels" export: headers are the questions' labels, answers the choices' labels."""
    data = export_files(form, field_sites, rows=10)["kobo-submissions.csv"]
    labels = {name: label for lst in form.choices.values() for name, label in lst}
    site_names = {str(s.id): s.name for s in db.session.scalars(sa.select(Site))}

    def as_labels(headers: list[str], rows: list[list[str]]) -> None:
        for index, header in enumerate(headers):
            name = header.split("/")[-1]
            if name in form.labels and form.question(name).kind == "select_one":
                for row in rows:
                    row[index] = site_names[row[index]] if name == "site_id" else labels.get(row[index], "")
            if name in form.labels and form.question(name).kind != "calculate":
                headers[index] = "/".join([*header.split("/")[:-1], form.labels[name]])

    followed = import_file(clients["risk_manager"], edit_csv(data, as_labels), "labels.csv")
    assert "Imported labels.csv: 10 observations" in text_of(followed)


def test_a_confirm_whose_file_changed_imports_nothing(app, clients, exports):
    client = clients["risk_manager"]
    token = token_of(upload(client, exports["odk-submissions.csv"], "odk.csv"))
    stored = next(p for p in stored_uploads(app) if p.suffix == ".xlsx")  # the store's name for any upload
    stored.write_bytes(stored.read_bytes().replace(b"monitor1", b"monitor2"))
    before = counts()
    followed = client.post("/sites/import-observations/confirm", data={"token": token}, follow_redirects=True)
    assert "its file changed: nothing was imported" in text_of(followed)
    assert counts() == before


def test_a_confirm_after_something_moved_shows_the_new_preview(app, clients, exports, form, field_sites):
    client = clients["risk_manager"]
    token = token_of(upload(client, exports["odk-submissions.csv"], "odk.csv"))
    first_ten = export_files(form, field_sites, rows=10, only="kobo-submissions.csv")["kobo-submissions.csv"]
    import_file(clients["admin"], first_ten, "kobo.csv")  # ten of the same submissions, meanwhile
    before = counts()
    page = text_of(confirm(client, token))
    assert "Something changed since your preview" in page
    assert "190 new observations" in page and "10 imported before" in page
    assert counts() == before
    assert "Confirm: record 190 observations" in page  # the new preview can be confirmed
    assert "Imported odk.csv: 190 observations" in text_of(
        client.post("/sites/import-observations/confirm", data={"token": token}, follow_redirects=True)
    )
    assert counts()[0] == 200


def test_a_confirm_after_the_same_file_was_imported_saves_nothing(app, clients, exports):
    client = clients["risk_manager"]
    token = token_of(upload(client, exports["odk-submissions.csv"], "odk.csv"))
    import_file(clients["admin"], exports["kobo-submissions.csv"], "kobo.csv")  # the same submissions
    before = counts()
    page = text_of(confirm(client, token))
    assert "Something changed since your preview" in page and "200 imported before" in page
    assert counts() == before
    assert stored_uploads(app) == []


def test_a_race_with_another_import_rolls_everything_back(clients, exports, monkeypatch):
    """The other import commits between the plan and the apply: the unique submission id holds."""
    client = clients["risk_manager"]
    token = token_of(upload(client, exports["odk-submissions.csv"], "odk.csv"))
    first = csv_rows(exports["odk-submissions.csv"])
    key = first[1][first[0].index("KEY")].removeprefix("uuid:")
    other = AsmObservation(
        site_id=1,
        observed_on=today(),
        location=ObservationLocation.ADJACENT,
        activity_type="alluvial",
        source="patrol",
        submission_id=key,
    )
    monkeypatch.setattr(plan, "imported_before", lambda ids: set())  # the plan cannot see it yet
    db.session.add(other)
    db.session.commit()
    before = counts()
    followed = client.post("/sites/import-observations/confirm", data={"token": token}, follow_redirects=True)
    assert "Nothing was imported" in text_of(followed)
    assert counts() == before


def test_cancel_discards_the_upload(app, clients, exports):
    client = clients["risk_manager"]
    token = token_of(upload(client, exports["odk-submissions.csv"], "odk.csv"))
    assert stored_uploads(app)
    response = client.post("/sites/import-observations/cancel", data={"token": token}, follow_redirects=True)
    assert "Import cancelled" in text_of(response)
    assert stored_uploads(app) == []
    assert counts()[0] == 0


@pytest.mark.parametrize(
    ("name", "column", "value"),
    [
        ("odk-submissions.csv", "ReviewState", "rejected"),
        ("kobo-submissions.csv", "_validation_status", "validation_status_not_approved"),
    ],
)
def test_submissions_rejected_by_a_reviewer_are_left_out(clients, exports, name, column, value):
    data = edit_csv(exports[name], lambda headers, rows: set_value(headers, rows[4], column, value))
    page = text_of(upload(clients["risk_manager"], data, name))
    assert "199 new observations" in page and "1 rejected by a reviewer" in page
    import_file(clients["risk_manager"], data, name)
    rejected_id = csv_rows(data)[5][csv_rows(data)[0].index("KEY" if "odk" in name else "_uuid")]
    assert counts()[0] == 199
    assert rejected_id.removeprefix("uuid:") not in {o.submission_id for o in observations()}
