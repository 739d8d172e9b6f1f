"""Evidence files: stored under random names with their hash and size; type-checked by name and by
content; empty and oversized files refused; downloads are attachments with safe names and nosniff;
files written for a failed transaction are removed again."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskreg.controls import services
from riskreg.controls.evidence import OLE_MAGIC
from riskreg.controls.models import ControlEvidence, ControlStatus
from riskreg.extensions import db
from tests.conftest import text_of
from tests.controls_support import PDF, PNG, fresh, new_control


def ooxml(folder: str, extra: str = "document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(f"{folder}{extra}", "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("payload.exe", "MZ")
    return buffer.getvalue()


@pytest.fixture
def control(users):
    return new_control(users["risk_manager"], "Security", title="Boundary signage")


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "evidence"
    return sorted(folder.iterdir()) if folder.exists() else []


def close(client, control, files, note="Signs installed", **extra):
    return client.post(
        f"/controls/{control.id}/close",
        data={"version": control.version, "closing_note": note, "evidence": files, **extra},
        content_type="multipart/form-data",
    )


def test_close_with_evidence_stores_it_under_a_random_name_with_hash_and_size(app, clients, control):
    response = close(
        clients["department_head"],
        control,
        [(io.BytesIO(PDF), "sign photos.pdf"), (io.BytesIO(PNG), "map.png")],
    )
    assert response.status_code == 302
    items = list(db.session.scalars(sa.select(ControlEvidence).order_by(ControlEvidence.id)))
    assert [i.original_name for i in items] == ["sign photos.pdf", "map.png"]
    assert items[0].sha256 == hashlib.sha256(PDF).hexdigest() and items[0].size_bytes == len(PDF)
    assert items[1].content_type == "image/png"
    files = stored_files(app)
    assert {f.name for f in files} == {i.stored_name for i in items}
    assert all(".pdf" not in f.name and "sign" not in f.name for f in files)  # random names only
    assert (Path(app.config["UPLOAD_DIR"]) / "evidence" / items[0].stored_name).read_bytes() == PDF
    assert "static" not in str(files[0])


def test_download_is_an_attachment_with_nosniff_for_every_signed_in_role(clients, control, users):
    close(clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf")])
    item = db.session.scalar(sa.select(ControlEvidence))
    for role in ("executive", "department_head", "risk_manager", "admin"):
        response = clients[role].get(f"/controls/{control.id}/evidence/{item.id}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == "attachment; filename=proof.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Type"] == "application/pdf"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert "no-store" in response.headers["Cache-Control"]
        assert response.data == PDF
        response.close()


def test_download_needs_sign_in(client, clients, control):
    close(clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf")])
    item = db.session.scalar(sa.select(ControlEvidence))
    response = client.get(f"/controls/{control.id}/evidence/{item.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unsafe_and_non_ascii_names_are_made_safe(clients, control):
    close(clients["department_head"], control, [(io.BytesIO(PDF), "../../etc/rapport d'activité.pdf")])
    item = db.session.scalar(sa.select(ControlEvidence))
    assert item.original_name == "rapport d'activité.pdf"  # no path kept
    response = clients["executive"].get(f"/controls/{control.id}/evidence/{item.id}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition.split("filename*")[0]
    assert "filename*=UTF-8''rapport%20d%27activit%C3%A9.pdf" in disposition
    response.close()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "this type of file is not accepted"),
        ("page.html", b"<html><script>alert(1)</script></html>", "this type of file is not accepted"),
        ("logo.svg", b"<svg onload=alert(1)>", "this type of file is not accepted"),
        ("noextension", PDF, "this type of file is not accepted"),
        ("fake.pdf", PNG, "does not look like a PDF"),
        ("fake.png", b"<html></html>", "does not look like a PNG image"),
        ("fake.jpg", PDF, "does not look like a JPEG image"),
        ("fake.docx", plain_zip(), "does not look like a Word document"),
        ("fake.xlsx", ooxml("word/"), "does not look like an Excel workbook"),
        ("fake.doc", PDF, "does not look like a Word 97-2003 document"),
        ("binary.txt", b"abc\x00\x01\x02", "does not look like a text file"),
        ("latin1.csv", "café;1\n".encode("latin-1") * 3, "does not look like a CSV file"),
        ("empty.pdf", b"", "empty.pdf is empty."),
    ],
)
def test_bad_files_are_refused_and_nothing_changes(app, clients, control, name, data, message):
    response = close(
        clients["department_head"], control, [(io.BytesIO(PDF), "good.pdf"), (io.BytesIO(data), name)]
    )
    assert response.status_code == 200
    assert message in text_of(response)
    assert fresh(control.id).status is ControlStatus.PLANNED  # the close did not happen either
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 0
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.docx", ooxml("word/")),
        ("register.xlsx", ooxml("xl/", "workbook.xml")),
        ("briefing.pptx", ooxml("ppt/", "presentation.xml")),
        ("old.doc", OLE_MAGIC + b"\x00" * 100),
        ("old.xls", OLE_MAGIC + b"\x00" * 100),
        ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 50),
        ("anim.gif", b"GIF89a" + b"\x00" * 50),
        ("pic.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20),
        ("attendance.csv", b"name,trained\nAmina,yes\nKwame,yes\n"),
        ("notes.txt", "Formation terminée ✓\n".encode()),
    ],
)
def test_allowed_types_are_accepted(clients, control, name, data):
    response = close(clients["department_head"], control, [(io.BytesIO(data), name)])
    assert response.status_code == 302, text_of(response)
    assert db.session.scalar(sa.select(ControlEvidence.original_name)) == name


def test_a_file_over_the_evidence_limit_is_refused_next_to_the_field(app, clients, control):
    app.config["EVIDENCE_MAX_BYTES"] = 2048
    response = close(clients["department_head"], control, [(io.BytesIO(PDF + b"x" * 3000), "big.pdf")])
    assert response.status_code == 200
    assert "big.pdf is 3 KB; evidence files may be at most 2 KB." in text_of(response)
    assert fresh(control.id).status is ControlStatus.PLANNED and stored_files(app) == []


def test_a_request_over_the_upload_limit_gets_a_clear_413(app, clients, control):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = close(clients["department_head"], control, [(io.BytesIO(PDF + b"x" * 10_000), "huge.pdf")])
    assert response.status_code == 413
    assert "Each evidence file may be at most" in text_of(response) and "Nothing was saved" in text_of(
        response
    )
    assert fresh(control.id).status is ControlStatus.PLANNED and stored_files(app) == []


def test_a_failed_database_write_removes_the_stored_files(app, clients, control, monkeypatch):
    def close_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    original = services.close_control
    monkeypatch.setattr(services, "close_control", close_then_fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = close(clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf")])
    assert response.status_code == 503  # a disk I/O error is the database's fault: riskreg's 503 page
    assert stored_files(app) == []
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 0
    assert fresh(control.id).status is ControlStatus.PLANNED


def test_more_evidence_after_closing(clients, control):
    close(clients["department_head"], control, [])
    response = clients["department_head"].post(
        f"/controls/{control.id}/evidence",
        data={"evidence": [(io.BytesIO(PDF), "late proof.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = text_of(clients["executive"].get(f"/controls/{control.id}"))
    assert "late proof.pdf" in page and "Add evidence by Sam Security" in page
    nothing = clients["department_head"].post(
        f"/controls/{control.id}/evidence", data={}, content_type="multipart/form-data"
    )
    assert "Choose at least one file." in text_of(nothing)


def test_evidence_of_another_control_or_a_missing_file_is_404(app, clients, control, users):
    close(clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf")])
    item = db.session.scalar(sa.select(ControlEvidence))
    other = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    assert clients["executive"].get(f"/controls/{other.id}/evidence/{item.id}").status_code == 404
    assert clients["executive"].get(f"/controls/{control.id}/evidence/999").status_code == 404
    (Path(app.config["UPLOAD_DIR"]) / "evidence" / item.stored_name).unlink()
    assert clients["executive"].get(f"/controls/{control.id}/evidence/{item.id}").status_code == 404
