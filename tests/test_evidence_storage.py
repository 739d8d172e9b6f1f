"""A full disk says so and leaves nothing half-written; evidence names with non-ASCII letters or
control characters are stored clean and downloaded under a readable ASCII name plus the real one."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from riskreg.controls import evidence
from riskreg.controls.models import ControlEvidence, ControlStatus
from riskreg.extensions import db
from tests.conftest import text_of
from tests.controls_support import PDF, PNG, fresh, new_control


@pytest.fixture
def control(users):
    return new_control(users["risk_manager"], "Security", title="Boundary signage")


@pytest.fixture
def implemented(users):
    """A closed control: its page offers "More evidence"."""
    return new_control(
        users["risk_manager"], "Security", title="Signage installed", status=ControlStatus.IMPLEMENTED
    )


class FullDisk:
    """A file whose writes fail with `code` once `room` bytes are written."""

    def __init__(self, real, code: int, room: int):
        self.real, self.code, self.room = real, code, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self.real.write(data[: self.room])
            self.real.flush()
            raise OSError(self.code, os.strerror(self.code))
        self.room -= len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def fail_writes(monkeypatch, code: int, after_files: int) -> None:
    """Files opened for writing after the first `after_files` fail half-way with `code`."""
    real_fdopen, opened = os.fdopen, []

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        if "w" not in mode:
            return handle
        opened.append(fd)
        return handle if len(opened) <= after_files else FullDisk(handle, code, room=10)

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.fixture(params=[errno.ENOSPC, errno.EDQUOT], ids=["disk-full", "over-quota"])
def disk_full_on_second_file(request, monkeypatch):
    fail_writes(monkeypatch, request.param, after_files=1)


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "evidence"
    return sorted(folder.iterdir()) if folder.exists() else []


def two_files() -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(PDF), "proof.pdf"), (io.BytesIO(PNG), "photo.png")]


def test_closing_on_a_full_disk_says_so_and_changes_nothing(app, clients, control, disk_full_on_second_file):
    response = clients["department_head"].post(
        f"/controls/{control.id}/close",
        data={"version": control.version, "closing_note": "Signs installed", "evidence": two_files()},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "photo.png was not saved: the evidence storage is full. Nothing was changed" in text_of(response)
    assert fresh(control.id).status is ControlStatus.PLANNED and fresh(control.id).closing_note == ""
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 0
    assert stored_files(app) == []  # neither the first file nor the half-written second


def test_adding_evidence_on_a_full_disk_says_so(app, clients, implemented, disk_full_on_second_file):
    response = clients["department_head"].post(
        f"/controls/{implemented.id}/evidence",
        data={"evidence": two_files()},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "the evidence storage is full" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 0
    assert stored_files(app) == []


def test_other_write_errors_are_not_called_a_full_disk(app, control, monkeypatch):
    fail_writes(monkeypatch, errno.EIO, after_files=0)
    with pytest.raises(OSError, match="Input/output"):
        with evidence.FileBatch() as batch:
            batch.store(FileStorage(io.BytesIO(PDF), "proof.pdf"), evidence.KINDS[".pdf"])
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("uploaded", "stored", "disposition"),
    [
        (
            "Rapport d’évaluation\u202e\x07\t.pdf",  # browsers escape CR and LF, not these
            "Rapport d’évaluation.pdf",
            "attachment; filename=Rapport_devaluation.pdf; "
            "filename*=UTF-8''Rapport%20d%E2%80%99%C3%A9valuation.pdf",
        ),
        (
            "证据.pdf",
            "证据.pdf",
            "attachment; filename={ref}-evidence-{id}.pdf; filename*=UTF-8''%E8%AF%81%E6%8D%AE.pdf",
        ),
        (
            "site\u2028map.pdf",
            "site map.pdf",
            "attachment; filename=site_map.pdf; filename*=UTF-8''site%20map.pdf",
        ),
    ],
)
def test_names_are_stored_clean_and_downloaded_readably(clients, implemented, uploaded, stored, disposition):
    control = implemented
    response = clients["department_head"].post(
        f"/controls/{control.id}/evidence",
        data={"evidence": [(io.BytesIO(PDF), uploaded)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text_of(response)
    item = db.session.scalar(sa.select(ControlEvidence))
    assert item.original_name == stored
    download = clients["executive"].get(f"/controls/{control.id}/evidence/{item.id}")
    assert download.headers["Content-Disposition"] == disposition.format(ref=control.ref, id=item.id)
    download.close()
