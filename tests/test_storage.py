"""The storage interface: both back ends keep, stream and remove files the same way; with
RISKREG_STORAGE=database evidence and import previews live in the database, in chunks, and are
downloaded exactly as from the folder."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskreg import storage
from riskreg.config import Config
from riskreg.controls.models import ControlEvidence
from riskreg.extensions import db
from riskreg.risks.models import Risk
from riskreg.storage.base import CHUNK
from riskreg.storage.models import StoredChunk, StoredObject
from tests.conftest import text_of
from tests.controls_support import PDF, PNG, new_control
from tests.xlsx_files import edited, export, set_cell, token_of, upload


@pytest.fixture
def db_app(app):
    """The usual app (its clients and users) with RISKREG_STORAGE=database."""
    app.config["STORAGE"] = "database"
    return app


@pytest.fixture(params=["local", "database"])
def backend(request, app) -> storage.Storage:
    return storage.back_end(request.param)


def nothing_on_disk(app) -> bool:
    root = Path(app.config["UPLOAD_DIR"])
    return not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_a_file_is_saved_streamed_listed_and_removed(backend):
    data = os.urandom(CHUNK * 2 + 123)  # three chunks: the last one short
    stored = backend.save("evidence/abc123", io.BytesIO(data), max_bytes=len(data))
    db.session.commit()
    assert stored == storage.StoredFile("evidence/abc123", len(data), hashlib.sha256(data).hexdigest())
    parts = list(backend.open("evidence/abc123"))
    assert b"".join(parts) == data and len(parts) == 3 and max(map(len, parts)) <= CHUNK
    backend.save("jobs/42.xlsx", io.BytesIO(b"job output"))
    db.session.commit()
    assert list(backend.keys()) == ["evidence/abc123", "jobs/42.xlsx"]
    assert list(backend.keys("jobs/")) == ["jobs/42.xlsx"]
    backend.save("jobs/42.xlsx", io.BytesIO(b"replaced"))  # saving again replaces
    assert b"".join(backend.open("jobs/42.xlsx")) == b"replaced"
    backend.delete("evidence/abc123")
    db.session.commit()
    assert not backend.exists("evidence/abc123") and backend.exists("jobs/42.xlsx")
    with pytest.raises(storage.Missing):
        backend.open("evidence/abc123")


def test_a_file_over_its_limit_is_refused_and_nothing_is_kept(app, backend):
    with pytest.raises(storage.TooLarge):
        backend.save("evidence/big", io.BytesIO(b"x" * (CHUNK + 10)), max_bytes=CHUNK)
    db.session.commit()
    assert list(backend.keys()) == [] and nothing_on_disk(app)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredChunk)) == 0


@pytest.mark.parametrize(
    "key", ["../secret", "evidence/../../etc/passwd", "evidence", "/abs/path", "a/.hidden"]
)
def test_keys_that_could_leave_the_storage_are_refused(backend, key):
    with pytest.raises(storage.StorageError, match="is not a storage key"):
        backend.save(key, io.BytesIO(b"x"))


def test_url_safe_tokens_are_keys_even_when_they_start_with_a_dash(backend):
    backend.save("imports/-u4UpQKTWddJife7v5S.xlsx", io.BytesIO(b"PK"))
    assert b"".join(backend.open("imports/-u4UpQKTWddJife7v5S.xlsx")) == b"PK"


def test_the_database_back_end_keeps_chunks_of_at_most_one_mebibyte(db_app):
    data = os.urandom(CHUNK * 2 + 1)
    storage.current().save("evidence/chunked", io.BytesIO(data))
    db.session.commit()
    sizes = db.session.scalars(
        sa.select(sa.func.length(StoredChunk.data))
        .where(StoredChunk.key == "evidence/chunked")
        .order_by(StoredChunk.seq)
    ).all()
    assert sizes == [CHUNK, CHUNK, 1]


def test_an_unknown_storage_setting_is_refused_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("RISKREG_STORAGE", "s3")
    with pytest.raises(ValueError, match="RISKREG_STORAGE must be one of local, database, not 's3'"):
        Config.from_environment({"STORAGE": "local", **_defaults()}, str(tmp_path))


def _defaults() -> dict:
    return {key: getattr(Config, key) for key in dir(Config) if key.isupper()}


def close_with(client, control, files):
    return client.post(
        f"/controls/{control.id}/close",
        data={"version": control.version, "closing_note": "Signs installed", "evidence": files},
        content_type="multipart/form-data",
    )


def test_evidence_in_the_database_keeps_its_checksum_and_downloads_as_from_disk(db_app, clients, users):
    control = new_control(users["risk_manager"], "Security", title="Boundary signage")
    response = close_with(
        clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf"), (io.BytesIO(PNG), "map.png")]
    )
    assert response.status_code == 302, text_of(response)
    items = list(db.session.scalars(sa.select(ControlEvidence).order_by(ControlEvidence.id)))
    kept = {row.key: row for row in db.session.scalars(sa.select(StoredObject))}
    assert set(kept) == {f"evidence/{item.stored_name}" for item in items}
    assert [kept[f"evidence/{i.stored_name}"].sha256 for i in items] == [
        hashlib.sha256(PDF).hexdigest(),
        hashlib.sha256(PNG).hexdigest(),
    ]
    assert items[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert nothing_on_disk(db_app)  # several hosts need no shared folder
    download = clients["executive"].get(f"/controls/{control.id}/evidence/{items[0].id}")
    assert download.status_code == 200 and download.get_data() == PDF
    assert download.headers["Content-Disposition"] == "attachment; filename=proof.pdf"
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Length"] == str(len(PDF))
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert download.headers["Cache-Control"] == "private, no-store"
    download.close()


def test_database_evidence_keeps_the_download_rules(db_app, client, clients, users):
    control = new_control(users["risk_manager"], "Security", title="Boundary signage")
    close_with(clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf")])
    item = db.session.scalar(sa.select(ControlEvidence))
    url = f"/controls/{control.id}/evidence/{item.id}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    other = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    assert clients["executive"].get(f"/controls/{other.id}/evidence/{item.id}").status_code == 404
    storage.current().delete(f"evidence/{item.stored_name}")
    db.session.commit()
    missing = clients["executive"].get(url)
    assert missing.status_code == 404 and "missing from storage" in text_of(missing)


def test_a_failed_database_write_keeps_no_evidence_in_the_database(db_app, clients, users, monkeypatch):
    from riskreg.controls import services

    def close_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    original = services.close_control
    monkeypatch.setattr(services, "close_control", close_then_fail)
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    control = new_control(users["risk_manager"], "Security", title="Boundary signage")
    response = close_with(clients["department_head"], control, [(io.BytesIO(PDF), "proof.pdf")])
    assert response.status_code == 503
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredObject)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredChunk)) == 0


def test_an_import_preview_kept_in_the_database_is_confirmed_from_it(db_app, clients, make_risk):
    make_risk(title="Existing risk")
    client = clients["risk_manager"]
    data = edited(export(client), lambda ws: set_cell(ws, "R-0001", "Title", "Pits on the northern lease"))
    preview = upload(client, data)
    token = token_of(preview)
    assert sorted(storage.current().keys()) == [f"imports/{token}.json", f"imports/{token}.xlsx"]
    assert nothing_on_disk(db_app)
    confirmed = client.post("/import/confirm", data={"token": token})
    assert confirmed.status_code == 302, text_of(confirmed)
    db.session.rollback()
    assert db.session.scalar(sa.select(Risk.title)) == "Pits on the northern lease"
    assert list(storage.current().keys()) == []  # the preview is let go once imported
