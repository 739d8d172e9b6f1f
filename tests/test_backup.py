"""`flask backup create` / `restore`: a populated register with evidence goes into an empty database
(SQLite or PostgreSQL, whichever the tests run on) with every count and checksum equal; damaged or
unsafe input is refused with a clear message and nothing written."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import FileStorage

from riskreg import create_app, storage
from riskreg.backup.manifest import table_counts
from riskreg.controls import evidence, services
from riskreg.controls.models import ControlEvidence
from riskreg.extensions import db
from riskreg.risks.models import Risk
from tests.conftest import PASSWORD, TEST_DATABASE_URL, FreshContextClient, make_config
from tests.controls_support import PDF, PNG, new_control

EVIDENCE = {
    "proof.pdf": PDF,
    "map.png": PNG,
    "notes.txt": b"Boundary signs checked.\n" * 50_000,  # over 1 MiB: several chunks in the database
}
DATABASE_FILE = "database.pgdump" if TEST_DATABASE_URL else "database.sqlite"


def counts() -> dict[str, int]:
    db.session.commit()
    with db.engine.connect() as conn:
        return table_counts(conn)


def populate(app, users, make_risk) -> dict[str, str]:
    """Risks, a control with evidence, and a job output; the evidence's key -> recorded sha256."""
    risks = [make_risk(title=f"Risk {n}") for n in range(3)]
    control = new_control(users["risk_manager"], "Security", risks=risks[:2], title="Boundary signage")
    with evidence.FileBatch() as batch:  # as the upload form does, with the real size limit
        stored = [
            batch.store(FileStorage(io.BytesIO(data), name), evidence.KINDS[name[-4:]])
            for name, data in EVIDENCE.items()
        ]
        services.add_evidence(control, stored, users["risk_manager"])
        db.session.commit()
    items = db.session.scalars(sa.select(ControlEvidence)).all()
    return {f"evidence/{item.stored_name}": item.sha256 for item in items}


def empty_target_url(tmp_path: Path) -> str:
    """A second, empty database: a new SQLite file, or <test db>_restore on the same server."""
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path / 'restored.sqlite'}"
    url = sa.make_url(TEST_DATABASE_URL)
    target = url.set(database=f"{url.database}_restore")
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        known = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
        if known.first() is None:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


def target_app(tmp_path: Path, kept: str) -> Flask:
    app = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=empty_target_url(tmp_path),
            UPLOAD_DIR=str(tmp_path / "restored-uploads"),
            STORAGE=kept,
        )
    )
    app.test_client_class = FreshContextClient
    return app


def backup(runner, out: Path):
    return runner.invoke(args=["backup", "create", "--out", str(out)])


def restore(app: Flask, folder: Path, *extra: str):
    return app.test_cli_runner().invoke(args=["backup", "restore", str(folder), *extra])


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kept", ["local", "database"])
def test_a_populated_register_with_evidence_round_trips_with_every_count_and_checksum(
    app, runner, users, make_risk, tmp_path, kept
):
    app.config["STORAGE"] = kept
    recorded = populate(app, users, make_risk)
    before = counts()
    email = users["executive"].email
    out = tmp_path / "backup"
    out.mkdir()  # an empty folder is fine

    made = backup(runner, out)
    assert made.exit_code == 0, made.output
    assert "Backup written to" in made.output and "3 stored file(s)" in made.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tables"] == before and manifest["tables"]["control_evidence"] == 3
    assert manifest["stored"] == recorded and manifest["storage"] == kept
    assert manifest["database_file"] == DATABASE_FILE
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    assert all(sha_of(out / name) == entry["sha256"] for name, entry in manifest["files"].items())
    copies = {f"files/{key}" for key in recorded}
    assert (copies <= on_disk) == (kept == "local")  # in the database storage, the dump holds them

    target = target_app(tmp_path, kept)
    with target.app_context():
        restored = restore(target, out)
        assert restored.exit_code == 0, restored.output
        assert "every count and checksum matches the manifest" in restored.output
        assert counts() == before
        client = target.test_client()
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        for item in db.session.scalars(sa.select(ControlEvidence)).all():
            download = client.get(f"/controls/{item.control_id}/evidence/{item.id}")
            assert download.status_code == 200
            assert (
                hashlib.sha256(download.get_data()).hexdigest()
                == item.sha256
                == recorded[f"evidence/{item.stored_name}"]
            )
            download.close()
        db.session.remove()
        db.engine.dispose()


def test_the_files_of_a_folder_backup_go_into_a_database_storage(app, runner, users, make_risk, tmp_path):
    recorded = populate(app, users, make_risk)
    assert backup(runner, tmp_path / "backup").exit_code == 0
    target = target_app(tmp_path, "database")  # the new hosts keep files in the database
    with target.app_context():
        restored = restore(target, tmp_path / "backup")
        assert restored.exit_code == 0, restored.output
        kept = storage.current()
        assert {key: storage.checksum(kept.open(key))[1] for key in kept.keys()} == recorded
        db.session.remove()
        db.engine.dispose()


def test_a_folder_that_exists_and_is_not_empty_is_refused(app, runner, tmp_path):
    out = tmp_path / "backup"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = backup(runner, out)
    assert result.exit_code == 1
    assert (
        "already exists and is not empty: give a new or empty folder. Nothing was written." in result.output
    )
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_backup_that_fails_half_way_leaves_nothing(app, runner, users, make_risk, tmp_path, monkeypatch):
    from riskreg.backup import create

    populate(app, users, make_risk)

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(create, "_copy_files", full_disk)
    result = backup(runner, tmp_path / "backup")
    assert result.exit_code == 1
    assert "could not be written ([Errno 28] No space left on device); nothing was kept" in result.output
    assert not (tmp_path / "backup").exists()


@pytest.fixture
def made_backup(app, runner, users, make_risk, tmp_path) -> tuple[Path, dict[str, str]]:
    recorded = populate(app, users, make_risk)
    result = backup(runner, tmp_path / "backup")
    assert result.exit_code == 0, result.output
    return tmp_path / "backup", recorded


@pytest.mark.parametrize("damaged", ["evidence", "database"])
def test_a_backup_whose_checksums_do_not_match_is_refused_naming_the_file(made_backup, tmp_path, damaged):
    folder, recorded = made_backup
    name = f"files/{sorted(recorded)[0]}" if damaged == "evidence" else DATABASE_FILE
    with (folder / name).open("r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 1]))  # one bit flipped, same size
    target = target_app(tmp_path, "local")
    with target.app_context():
        result = restore(target, folder)
        assert result.exit_code == 1
        assert f"{name} does not match its checksum in the manifest" in result.output
        assert "Nothing was restored." in result.output
        assert counts() == {}  # not a table was created
        assert not (tmp_path / "restored-uploads").exists()
        db.engine.dispose()


def test_a_folder_without_a_manifest_is_refused(made_backup, tmp_path):
    folder, _ = made_backup
    (folder / "manifest.json").unlink()
    target = target_app(tmp_path, "local")
    with target.app_context():
        result = restore(target, folder)
        assert result.exit_code == 1
        assert (
            "has no manifest.json: it is not a riskreg backup, or its backup did not finish" in result.output
        )
        assert counts() == {}
        db.engine.dispose()


def test_a_database_holding_data_is_replaced_only_with_force(app, made_backup, make_risk, client):
    folder, recorded = made_backup
    manifest = json.loads((folder / "manifest.json").read_text())
    make_risk(title="Added after the backup")
    refused = restore(app, folder)
    assert refused.exit_code == 1
    assert "The database is not empty:" in refused.output and "risks (4)" in refused.output
    assert "add --force to replace everything in it. Nothing was restored." in refused.output
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 4

    forced = restore(app, folder, "--force")
    assert forced.exit_code == 0, forced.output
    assert counts() == manifest["tables"]
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 3
    assert "Added after the backup" not in db.session.scalars(sa.select(Risk.title)).all()
    kept = storage.current()
    assert {key: storage.checksum(kept.open(key))[1] for key in recorded} == recorded


def test_a_backup_of_the_other_kind_of_database_is_refused(made_backup, tmp_path):
    folder, _ = made_backup
    manifest = json.loads((folder / "manifest.json").read_text())
    other = "sqlite" if TEST_DATABASE_URL else "postgresql"
    (folder / "manifest.json").write_text(json.dumps({**manifest, "database": other}))
    target = target_app(tmp_path, "local")
    with target.app_context():
        result = restore(target, folder)
        assert result.exit_code == 1
        assert f"This backup is of a {other} database; this riskreg uses" in result.output
        assert counts() == {}
        db.engine.dispose()
