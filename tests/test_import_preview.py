"""The import: preview field by field, every problem with its row and column, one all-or-nothing confirm."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskreg import audit, create_app
from riskreg.audit import AuditEvent
from riskreg.auth import services as auth_services
from riskreg.exports.columns import REGISTER_COLUMNS
from riskreg.extensions import db
from riskreg.risks import bulk
from riskreg.risks import services as risk_services
from riskreg.risks.models import Direction, Risk, RiskStatus, Treatment
from riskreg.seeding.reference import load_departments
from tests.conftest import PASSWORD, FreshContextClient, make_config, reset_schema
from tests.conftest import text_of as raw_text
from tests.xlsx_files import append_row, edited, export, set_cell, sheet_from_rows, token_of, upload

HEADERS = [c.header for c in REGISTER_COLUMNS]
# What a new row must judge: the scores, the consequence area and the treatment (nothing defaults them).
JUDGEMENTS = {
    "Consequence area": "Environment",
    "Treatment": "Reduce",
    "Inherent likelihood": 3,
    "Inherent impact": 3,
    "Residual likelihood": 2,
    "Residual impact": 2,
}


@pytest.fixture
def risks(make_risk, make_site):
    site = make_site(name="Nyota Gold Mine")
    return [
        make_risk(title="Encroachment on the lease", site_id=site.id),
        make_risk(title="Mercury downstream", direction=Direction.TO_COMMUNITIES, category="Environment"),
        make_risk(title='=HYPERLINK("http://x","formula-looking title")'),
    ]


def text_of(response) -> str:
    return html.unescape(raw_text(response))


def events() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def stored(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def row_of(headers: list[str] | None = None, **values) -> list:
    return [values.get(h) for h in headers or HEADERS]


def test_an_unedited_export_changes_nothing(app, clients, risks):
    before = events()
    response = upload(clients["risk_manager"], export(clients["risk_manager"]))
    page = text_of(response)
    assert "0 new risks 0 risks with changes 3 unchanged 0 problems" in page
    assert "Nothing to import: every row matches the register." in page
    assert "/import/confirm" not in response.get_data(as_text=True)
    assert events() == before and stored(app) == []


def test_one_edited_cell_changes_exactly_that_field_with_its_audit_event(app, clients, users, risks):
    client = clients["risk_manager"]
    risk, version = risks[0], risks[0].version
    assessed = datetime(2026, 1, 5, 9, 30)
    stamp = sa.update(Risk.__table__).where(Risk.id == risk.id).values(residual_assessed_at=assessed)
    db.session.execute(stamp)
    db.session.commit()
    data = edited(export(client), lambda ws: set_cell(ws, risk.ref, "Residual likelihood", 2))
    response = upload(client, data, "board-pack.xlsx")
    page = text_of(response)
    assert "0 new risks 1 risk with changes 2 unchanged 0 problems" in page
    assert f"Row 2: {risk.ref} Encroachment on the lease" in page or f"{risk.ref} Encroachment" in page
    assert "Residual likelihood 3 2" in page
    before = events()
    confirmed = client.post("/import/confirm", data={"token": token_of(response)})
    assert confirmed.status_code == 302
    db.session.rollback()
    saved = db.session.get(Risk, risk.id)
    assert (saved.residual_likelihood, saved.residual_score, saved.version) == (2, 6, version + 1)
    new_events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > before)).all()
    assert len(new_events) == 1
    assert new_events[0].changes == {
        "residual_likelihood": [3, 2],
        "residual_assessed_at": [assessed.isoformat(), audit.plain(saved.residual_assessed_at)],
    }
    assert new_events[0].note == "Imported from board-pack.xlsx"
    assert new_events[0].actor_id == users["risk_manager"].id
    history = text_of(client.get(f"/risks/{risk.id}"))
    assert "Imported from board-pack.xlsx" in history
    assert stored(app) == []


def test_the_new_user_journey_edit_a_score_and_add_a_row(app, clients, users, risks):
    """Export, change a score, add a row, import: a preview with exactly those two, then both saved."""
    client = clients["admin"]
    target = risks[1]

    def change(ws):
        set_cell(ws, target.ref, "Inherent impact", 5)
        append_row(
            ws,
            Title="ASM fatality at an abandoned pit",
            Site="Nyota Gold Mine",
            Direction="to_asm",
            Category="health & safety",
            Owner=users["risk_manager"].email,
            Status="Draft",
            **{"Next review": datetime(2027, 6, 30), **JUDGEMENTS},
        )

    response = upload(client, edited(export(client), change))
    page = text_of(response)
    assert "1 new risk 1 risk with changes 2 unchanged 0 problems" in page
    assert "Inherent impact 4 5" in page
    assert "ASM fatality at an abandoned pit Nyota Gold Mine To ASM miners Health & Safety" in page
    assert client.post("/import/confirm", data={"token": token_of(response)}).status_code == 302
    db.session.rollback()
    assert db.session.get(Risk, target.id).inherent_score == 20
    created = db.session.scalar(sa.select(Risk).where(Risk.title == "ASM fatality at an abandoned pit"))
    assert created.status is RiskStatus.DRAFT and created.treatment is Treatment.REDUCE
    assert created.owner_id == users["risk_manager"].id and created.category == "Health & Safety"
    assert created.next_review_date.isoformat() == "2027-06-30" and created.ref.startswith("R-")
    assert "Imported from register.xlsx" in text_of(client.get(f"/risks/{created.id}"))


def test_labels_and_raw_values_are_both_accepted(clients, risks, users):
    rows = [
        HEADERS,
        row_of(
            Title="A",
            Direction="TO_COMPANY",
            Category="Environment",
            Owner="Rhea Risk",
            Status="open",
            **(JUDGEMENTS | {"Treatment": "avoid"}),
        ),
        row_of(
            Title="B",
            Direction="to the company",
            Category="Environment",
            Owner=users["admin"].email.upper(),
            Status="Closed",
            Site="corporate",
            **(JUDGEMENTS | {"Treatment": "Transfer"}),
        ),
    ]
    page = text_of(upload(clients["risk_manager"], sheet_from_rows(rows)))
    assert "2 new risks" in page and "0 problems" in page


def test_header_problems(clients, risks):
    headers = ["Ref", "Title", "Title", "Colour", "Direction", "Owner"]
    page = text_of(upload(clients["risk_manager"], sheet_from_rows([headers, ["R-0001", "x", "y", "red"]])))
    assert "Column C: Title appears twice." in page
    assert "Column D: 'Colour' is not a column of the register, so it is ignored." in page
    assert "lacks the column(s): Category, Inherent likelihood, Inherent impact" in page
    page = text_of(upload(clients["risk_manager"], sheet_from_rows([HEADERS], title="Risks")))
    assert "The workbook has no sheet called Register (it has: Risks)." in page


def test_every_bad_value_is_reported_with_its_row_and_column(clients, risks, make_user, users):
    make_user(name="Sam Twin")
    make_user(name="Sam Twin")
    make_user(name="Gone Away", active=False)
    ok = {
        "Title": "fine",
        "Direction": "To the company",
        "Category": "Environment",
        "Owner": "Rhea Risk",
        "Treatment": "Reduce",
        "Status": "Open",
        **JUDGEMENTS,
    }
    bad_rows = [
        ("Direction", {"Direction": "sideways"}, "'sideways' is not a direction; use one of: To the company"),
        (
            "Inherent likelihood",
            {"Inherent likelihood": 7},
            "Inherent likelihood must be from 1 to 5; 7 is out",
        ),
        ("Residual impact", {"Residual impact": "high"}, "must be a whole number from 1 to 5, not 'high'"),
        ("Next review", {"Next review": "next week"}, "'next week' is not a date"),
        ("Site", {"Site": "Atlantis"}, "There is no site called 'Atlantis'"),
        ("Owner", {"Owner": "Nobody Here"}, "There is no user called 'Nobody Here'"),
        ("Owner", {"Owner": "Sam Twin"}, "2 people are called 'Sam Twin'; type the owner's email address."),
        ("Owner", {"Owner": "Gone Away"}, "'Gone Away' is no longer an active user"),
        ("Category", {"Category": "Weather"}, "'Weather' is not a category of the taxonomy"),
        ("Title", {"Title": "x" * 201}, "Title is 201 characters long; the limit is 200."),
        ("Title", {"Title": "=1+1"}, "Holds a formula (=1+1)."),
        ("Title", {"Title": None}, "Title is empty: a new risk needs it."),
        ("Status", {"Status": "Archived"}, "Archive a risk with the Archive button on its page"),
        (
            "Residual impact",
            {"Residual likelihood": 5, "Residual impact": 5},
            "The residual score (25) cannot be",
        ),
        ("Treatment", {"Treatment": "pray"}, "'pray' is not a treatment"),
        ("Ref", {"Ref": "R-9999"}, "There is no risk R-9999 in the register."),
        ("Ref", {"Ref": risks[0].ref, "Title": "first"}, None),
        (
            "Ref",
            {"Ref": risks[0].ref, "Title": "second"},
            f"{risks[0].ref} is also on row 18: one row per risk.",
        ),
        ("Title", {"Ref": risks[1].ref, "Title": " "}, "Title is empty: it cannot be emptied."),
        # Judgements a new row must make: nothing fills them in (issue: no judgement nobody made).
        ("Treatment", {"Treatment": None}, "Treatment is empty: a new risk needs it."),
        ("Consequence area", {"Consequence area": None}, "Consequence area is empty: a new risk needs it."),
    ]
    rows = [HEADERS] + [row_of(**{**ok, **values}) for _, values, _ in bad_rows]
    response = upload(clients["risk_manager"], sheet_from_rows(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/import/confirm" not in html
    problems = {tuple(cells) for cells in _problem_rows(html)}
    for number, (column, _, message) in enumerate(bad_rows, start=2):
        if message is not None:
            assert any(r == str(number) and c == column and message in m for r, c, m in problems), (
                number,
                message,
            )
    assert f"{len(bad_rows) - 1} problems" in text_of(response)


def _problem_rows(page: str) -> list[list[str]]:
    section = page[page.index("import-problems") :]
    section = section[: section.index("</table>")]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", section, re.S)
    return [[html.unescape(cell) for cell in row] for row in rows]


def test_an_archived_risk_cannot_be_changed_by_import(clients, risks, users):
    risk_services.archive_risk(risks[0], users["risk_manager"])
    db.session.commit()
    client = clients["risk_manager"]
    data = export(client, "?status=archived")
    unchanged = text_of(upload(client, data))
    assert "1 unchanged 0 problems" in unchanged
    page = text_of(upload(client, edited(data, lambda ws: set_cell(ws, risks[0].ref, "Title", "New title"))))
    assert f"{risks[0].ref} is archived: restore it on its page before changing it by import." in page


def test_confirm_after_someone_else_changed_the_risk_shows_it_and_asks_again(app, clients, users, risks):
    client = clients["risk_manager"]
    risk = risks[0]
    data = edited(export(client), lambda ws: set_cell(ws, risk.ref, "Treatment", "Transfer"))
    token = token_of(upload(client, data))
    other = db.session.get(Risk, risk.id)
    risk_services.update_risk(
        other, {**_fields(other), "title": "Renamed meanwhile"}, users["admin"], other.version
    )
    db.session.commit()
    before = events()
    response = client.post("/import/confirm", data={"token": token})
    page = text_of(response)
    assert "The register changed since your preview." in page and "Nothing was imported" in page
    assert f"{risk.ref} — update by {users['admin'].name}" in page
    assert "Title Renamed meanwhile Encroachment on the lease" in page  # the file would undo their edit
    assert events() == before
    again = client.post("/import/confirm", data={"token": token_of(response)})
    assert again.status_code == 302
    db.session.rollback()
    saved = db.session.get(Risk, risk.id)
    assert saved.treatment is Treatment.TRANSFER and saved.title == "Encroachment on the lease"


def _fields(risk: Risk) -> dict:
    return {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}


def test_all_or_nothing_when_a_row_fails_while_applying(app, clients, risks, users, monkeypatch):
    """The changes and their events are written, then the new rows' events fail: nothing stays."""
    client = clients["risk_manager"]

    def change(ws):
        set_cell(ws, risks[0].ref, "Inherent impact", 5)
        set_cell(ws, risks[1].ref, "Inherent impact", 5)
        append_row(
            ws, Title="New", Direction="to_asm", Category="Environment", Owner="Rhea Risk", **JUDGEMENTS
        )

    token = token_of(upload(client, edited(export(client), change)))
    real, calls = bulk._record_all, []

    def failing(events, *args):
        calls.append(len(events))
        real(events, *args)
        if len(calls) == 2:
            raise risk_services.RiskConflict(risks[1])

    monkeypatch.setattr(bulk, "_record_all", failing)
    before = events()
    response = client.post("/import/confirm", data={"token": token}, follow_redirects=True)
    assert "Nothing was imported" in text_of(response)
    assert calls == [2, 1] and events() == before
    assert {r.inherent_impact for r in db.session.scalars(sa.select(Risk))} == {4}
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 3


def test_a_token_of_someone_else_or_unknown_imports_nothing(app, clients, risks):
    data = edited(export(clients["admin"]), lambda ws: set_cell(ws, risks[0].ref, "Inherent impact", 5))
    token = token_of(upload(clients["admin"], data))
    before = events()
    for client, value in ((clients["risk_manager"], token), (clients["admin"], "../../etc/passwd")):
        response = client.post("/import/confirm", data={"token": value}, follow_redirects=True)
        assert "That preview has expired or is not yours" in text_of(response)
    assert events() == before and len(stored(app)) == 2


def test_cancel_removes_the_upload(app, clients, risks):
    client = clients["admin"]
    data = edited(export(client), lambda ws: set_cell(ws, risks[0].ref, "Inherent impact", 5))
    token = token_of(upload(client, data))
    assert len(stored(app)) == 2
    response = client.post("/import/cancel", data={"token": token}, follow_redirects=True)
    assert "Import cancelled: nothing was changed." in text_of(response) and stored(app) == []
    assert client.post("/import/confirm", data={"token": token}).status_code == 302


def test_formula_looking_titles_round_trip(clients, risks):
    client = clients["risk_manager"]
    page = text_of(upload(client, export(client)))
    assert "3 unchanged 0 problems" in page


def test_upload_and_confirm_need_the_csrf_token(tmp_path):
    """With CSRF protection on, as in production: the upload form and the confirm form carry the token."""
    app = create_app(
        make_config(
            WTF_CSRF_ENABLED=True, sqlite_path=tmp_path / "csrf.sqlite", UPLOAD_DIR=str(tmp_path / "up")
        )
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        reset_schema()
        load_departments()
        user = auth_services.create_user(
            email="rm@example.com", name="RM", role="risk_manager", password=PASSWORD
        )
        db.session.commit()
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": _csrf(login)})
        new_risk = row_of(Title="T", Direction="to_asm", Category="Environment", Owner="RM", **JUDGEMENTS)
        data = sheet_from_rows([HEADERS, new_risk])
        assert upload(client, data).status_code == 400
        form = {
            "file": (io.BytesIO(data), "r.xlsx"),
            "csrf_token": _csrf(client.get("/import").get_data(as_text=True)),
        }
        preview = client.post("/import", data=form, content_type="multipart/form-data")
        assert "1 new risk" in text_of(preview)
        assert client.post("/import/confirm", data={"token": token_of(preview)}).status_code == 400
        confirm = {"token": token_of(preview), "csrf_token": _csrf(preview.get_data(as_text=True))}
        assert client.post("/import/confirm", data=confirm).status_code == 302
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 1
        db.session.remove()
        db.engine.dispose()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _add_column(ws, header: str, values: dict[str, str]) -> None:
    """A column of the person's own after the export's, with values on the rows of `values` (by Ref)."""
    column = ws.max_column + 1
    ws.cell(row=1, column=column, value=header)
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            ws.cell(row=row[0].row, column=column, value=values[row[0].value])


def test_an_extra_column_is_ignored_with_a_warning_not_refused(app, clients, risks):
    client = clients["risk_manager"]
    risk = risks[0]

    def change(ws):
        set_cell(ws, risk.ref, "Residual likelihood", 2)
        _add_column(ws, "My notes", {risk.ref: "ask the site manager"})
        ws.cell(row=2, column=ws.max_column + 2, value="stray")  # a value under no header at all

    response = upload(client, edited(export(client), change))
    page = text_of(response)
    assert "1 risk with changes 2 unchanged 0 problems" in page
    assert "Warnings — the import can go ahead" in page
    assert "'My notes' is not a column of the register, so it is ignored." in page
    assert "holds values but has no header: it is ignored." in page
    assert client.post("/import/confirm", data={"token": token_of(response)}).status_code == 302
    db.session.rollback()
    assert db.session.get(Risk, risk.id).residual_likelihood == 2


def test_cause_consequence_and_target_are_imported(clients, users, risks):
    client = clients["risk_manager"]
    risk = risks[0]

    def change(ws):
        set_cell(ws, risk.ref, "Cause", "Gold price at a record")
        set_cell(ws, risk.ref, "Consequence", "Lost ore\nand a dispute")
        set_cell(ws, risk.ref, "Target likelihood", 1)
        set_cell(ws, risk.ref, "Target impact", 2)
        set_cell(ws, risk.ref, "Target date", datetime(2028, 6, 30))
        append_row(
            ws,
            Title="Tailings seepage reaching a village well",
            Direction="To communities and stakeholders",
            Category="Environment",
            Owner=users["risk_manager"].email,
            Cause="Liner failure",
            Consequence="Unsafe drinking water",
            **{"Target likelihood": 1, "Target impact": 3, **JUDGEMENTS},
        )

    response = upload(client, edited(export(client), change))
    page = text_of(response)
    assert "1 new risk 1 risk with changes 2 unchanged 0 problems" in page
    assert "Cause High gold price Gold price at a record" in page
    assert "Target likelihood — 1" in page and "Target date — 2028-06-30" in page
    assert client.post("/import/confirm", data={"token": token_of(response)}).status_code == 302
    db.session.rollback()
    saved = db.session.get(Risk, risk.id)
    assert (saved.cause, saved.consequence) == ("Gold price at a record", "Lost ore\nand a dispute")
    assert (saved.target_likelihood, saved.target_impact) == (1, 2)
    assert saved.target_date.isoformat() == "2028-06-30"
    created = db.session.scalar(sa.select(Risk).where(Risk.title.startswith("Tailings seepage")))
    assert (created.cause, created.consequence) == ("Liner failure", "Unsafe drinking water")
    assert (created.target_likelihood, created.target_impact) == (1, 3)


def test_impact_area_is_read_as_the_consequence_area(clients, users, risks):
    headers = [{"Consequence area": "Impact area"}.get(h, h) for h in HEADERS]
    row = row_of(
        headers,
        Title="Cyanide spill",
        Direction="To communities and stakeholders",
        Category="Environment",
        Owner="Rhea Risk",
        Status="Open",
        **{**JUDGEMENTS, "Impact area": "Environment"},
    )
    page = text_of(upload(clients["risk_manager"], sheet_from_rows([headers, row])))
    assert "1 new risk" in page and "0 problems" in page and "Warnings" not in page


def test_a_target_needs_both_levels_and_cause_its_limit(clients, risks):
    ok = {
        "Title": "fine",
        "Direction": "To the company",
        "Category": "Environment",
        "Owner": "Rhea Risk",
        "Status": "Open",
        **JUDGEMENTS,
    }
    rows = [
        HEADERS,
        row_of(**ok, **{"Target likelihood": 2}),
        row_of(**ok, Cause="c" * 5001),
        row_of(**ok, **{"Target impact": 9}),
    ]
    html = upload(clients["risk_manager"], sheet_from_rows(rows)).get_data(as_text=True)
    problems = {tuple(cells) for cells in _problem_rows(html)}
    both = "Give both a target likelihood and a target impact, or neither."
    assert ("2", "Target impact", both) in problems
    assert ("3", "Cause", "Cause is 5001 characters long; the limit is 5000.") in problems
    assert ("4", "Target impact", "Target impact must be from 1 to 5; 9 is out of range.") in problems
    assert "/import/confirm" not in html and len(problems) == 3


def test_a_new_row_like_a_risk_already_there_is_a_likely_duplicate(clients, users, risks, make_site):
    client = clients["risk_manager"]
    other_site = make_site(name="Kibali South")
    new = {
        "Direction": "To the company",
        "Category": "Environment",
        "Owner": "Rhea Risk",
        "Status": "Open",
        **JUDGEMENTS,
    }

    def change(ws):
        append_row(ws, Title=risks[0].title, Site="Nyota Gold Mine", **new)  # as R-0001: a duplicate
        append_row(ws, Title=risks[0].title, Site=other_site.name, **new)  # another site: not one
        append_row(ws, Title="Night-time ore theft", **new)
        append_row(ws, Title="Night-time ore theft", **new)  # the same new risk twice

    response = upload(client, edited(export(client), change))
    page = text_of(response)
    assert "4 new risks 0 risks with changes 3 unchanged 0 problems" in page
    section = page[page.index("Likely duplicates") : page.index("New risks")]
    assert f"5 {risks[0].title} Nyota Gold Mine {risks[0].ref} (open)" in section
    assert "8 Night-time ore theft Corporate row 7" in section
    assert "6 " + risks[0].title not in section and "7 Night-time" not in section
    html = response.get_data(as_text=True)
    assert f'href="/risks/{risks[0].id}"' in html[html.index("import-duplicates") :]
    assert "/import/confirm" in html  # a warning: the person decides
