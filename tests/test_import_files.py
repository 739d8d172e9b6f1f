"""Hostile and unusable files: each refused with a reason, never a 500, never a half-import."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl.xml
import pytest
import sqlalchemy as sa
from defusedxml import EntitiesForbidden

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.imports import package, reader
from riskreg.risks.models import Risk
from tests.conftest import text_of
from tests.xlsx_files import append_row, edited, export, ole_file, rezip, upload, with_entities, zip_bomb


@pytest.fixture
def exported(clients, make_risk) -> bytes:
    make_risk(title="Encroachment on the northern lease")
    # A valid edit, so that a file which got through would be importable (and so would change things).
    return edited(
        export(clients["risk_manager"]),
        lambda ws: append_row(
            ws,
            Title="A new risk",
            Direction="To the company",
            Category="Environment",
            Owner=ws["F2"].value,
            **{
                "Inherent likelihood": 2,
                "Inherent impact": 2,
                "Residual likelihood": 1,
                "Residual impact": 1,
                "Treatment": "Reduce",
                "Consequence area": "Environment",
            },
        ),
    )


def counts() -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count(Risk.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )


def refused(client, data: bytes, filename: str, reason: str, app, whole_file: bool = True) -> None:
    before = counts()
    response = upload(client, data, filename)
    assert response.status_code == 200
    page = text_of(response)
    assert reason in page, page[:2000]
    assert "/import/confirm" not in response.get_data(as_text=True)
    assert ("Import preview" not in page) == whole_file  # refused outright, or a preview of the problem
    assert counts() == before
    stored = Path(app.config["UPLOAD_DIR"]) / "imports"
    assert not stored.exists() or not any(stored.iterdir())


def test_the_valid_file_used_below_would_be_imported(clients, exported):
    page = text_of(upload(clients["risk_manager"], exported))
    assert "1 new risk " in page and "0 problems" in page


def test_garbage_is_not_a_workbook(app, clients):
    refused(clients["admin"], os.urandom(3000), "register.xlsx", "not an Excel workbook", app)


def test_other_formats_are_refused_by_name(app, clients):
    refused(clients["admin"], b"Ref,Title\nR-0001,x\n", "register.csv", "Excel workbooks (.xlsx) only", app)


def test_an_empty_file(app, clients):
    refused(clients["admin"], b"", "register.xlsx", "The file is empty.", app)


def test_a_file_over_the_import_limit(app, clients, exported):
    app.config["IMPORT_MAX_BYTES"] = 2000
    refused(clients["admin"], exported, "register.xlsx", "riskreg imports workbooks of up to", app)


def test_a_request_over_the_upload_limit_is_a_413(app, clients, exported):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    before = counts()
    response = upload(clients["admin"], exported)
    assert response.status_code == 413 and "too large" in text_of(response)
    assert counts() == before


def test_a_zip_bomb(app, clients, exported):
    bomb = zip_bomb(exported)
    assert len(bomb) < 200_000  # 8 MB of zeros in a few kilobytes
    refused(clients["admin"], bomb, "register.xlsx", "compressed bomb", app)


def test_a_workbook_that_unpacks_beyond_the_limit(app, clients, exported):
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 20_000
    refused(clients["admin"], exported, "register.xlsx", "would unpack to more than", app)


def test_xml_entities_are_refused(app, clients, exported):
    refused(clients["admin"], with_entities(exported), "register.xlsx", "declares a DTD or XML entities", app)


def test_openpyxl_itself_parses_through_defusedxml(exported):
    """Behind the gate, openpyxl refuses entities too (defusedxml is installed and in use)."""
    assert openpyxl.xml.DEFUSEDXML is True
    with pytest.raises(ValueError) as caught:  # openpyxl wraps the parser's error
        reader.read_register(with_entities(exported), max_rows=100)
    assert isinstance(caught.value, EntitiesForbidden) or isinstance(
        caught.value.__cause__, EntitiesForbidden
    )


def test_entities_behind_the_gate_get_a_clear_message(app, clients, exported, monkeypatch):
    from riskreg.imports import safety, xmlcount

    monkeypatch.setattr(safety, "DTD_MARKERS", ())  # as if the gate missed them
    monkeypatch.setattr(xmlcount.PartCount, "_declares", lambda self, *args: 1)  # and the count
    refused(
        clients["admin"],
        with_entities(exported),
        "register.xlsx",
        "refuses to read (entity declarations)",
        app,
    )


def test_macro_enabled_workbooks(app, clients, exported):
    refused(clients["admin"], exported, "register.xlsm", "macro-enabled", app)
    refused(clients["admin"], rezip(exported, add={"xl/vbaProject.bin": b"\0" * 64}), "a.xlsx", "macro", app)
    with zipfile.ZipFile(io.BytesIO(exported)) as package:
        types = package.read("[Content_Types].xml")
    macro_types = types.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
    refused(
        clients["admin"],
        rezip(exported, replace={"[Content_Types].xml": macro_types}),
        "a.xlsx",
        "macro",
        app,
    )


def test_encrypted_or_old_excel_files(app, clients):
    refused(clients["admin"], ole_file(), "register.xlsx", "password-protected (encrypted)", app)
    refused(clients["admin"], ole_file(), "register.xls", "password-protected (encrypted)", app)


def test_a_damaged_package(app, clients, exported):
    refused(
        clients["admin"],
        exported[: len(exported) // 2],
        "register.xlsx",
        "not a readable Excel workbook",
        app,
    )


def test_a_zip_that_is_not_a_workbook(app, clients):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("notes.txt", "hello")
    refused(clients["admin"], out.getvalue(), "register.xlsx", "no [Content_Types].xml", app)


def test_a_workbook_openpyxl_cannot_read(app, clients, exported):
    broken = rezip(exported, replace={"xl/workbook.xml": b"<workbook><sheets><sheet"})
    refused(clients["admin"], broken, "register.xlsx", "could not read this workbook", app)


def test_a_package_with_too_many_parts(app, clients, exported):
    parts = {f"xl/media/p{i}.txt": b"x" for i in range(600)}
    refused(clients["admin"], rezip(exported, add=parts), "register.xlsx", "parts", app)


def test_too_many_rows(app, clients, exported):
    app.config["IMPORT_MAX_ROWS"] = 1
    refused(
        clients["admin"],
        exported,
        "register.xlsx",
        "riskreg imports at most 1 at once",
        app,
        whole_file=False,
    )


def test_only_the_register_sheet_is_handed_to_openpyxl(clients, exported):
    """The other sheets are dropped before parsing (openpyxl scans every sheet without a dimension)."""
    raw = export(clients["executive"])  # write-only sheets carry no <dimension>
    slim = package.register_only(raw)
    with zipfile.ZipFile(io.BytesIO(slim)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets == ["xl/worksheets/sheet1.xml"]
        assert (
            b'<dimension xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ref="A1"/>'
            in (archive.read("xl/worksheets/sheet1.xml")[:1000])
        )
    assert len(reader.read_register(slim, max_rows=100).rows) == 1
    assert b"<dimension" in package.register_only(exported)  # saved by openpyxl: has its own, kept
    assert len(reader.read_register(exported, max_rows=100).rows) == 2
    assert package.register_only(b"not a zip") == b"not a zip"
    no_register = rezip(exported, replace={"xl/workbook.xml": b"<workbook/>"})
    assert package.register_only(no_register) == no_register
