"""`flask storage migrate`: every file moves with its checksum verified at the destination; nothing
leaves the source before all are verified; a run cut short is finished by running it again."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskreg import storage
from riskreg.controls.models import ControlEvidence
from riskreg.extensions import db
from riskreg.storage import DatabaseStorage, LocalStorage
from riskreg.storage.models import StoredObject
from tests.controls_support import PDF, PNG, new_control, store_evidence

FILES = {
    "proof.pdf": PDF,
    "map.png": PNG,
    "notes.txt": b"Signs checked on the northern boundary.\n" * 2000,
    "survey.csv": b"site,pits\nNorth,12\n",
}


class Killed(BaseException):
    """The process stopping mid-run (a kill, a reboot): no handler gets to tidy up."""


@pytest.fixture
def evidence(app, users) -> dict[str, bytes]:
    """Four evidence files on the local disk (the default), by key, and one job output."""
    control = new_control(users["risk_manager"], "Security", title="Boundary signage")
    for name, data in FILES.items():
        store_evidence(control, users["risk_manager"], name, data)
    storage.current().save("jobs/7.xlsx", io.BytesIO(b"PK job output"))
    items = db.session.scalars(sa.select(ControlEvidence).order_by(ControlEvidence.id)).all()
    kept = {f"evidence/{item.stored_name}": FILES[item.original_name] for item in items}
    return kept | {"jobs/7.xlsx": b"PK job output"}


def local_files(app) -> dict[str, bytes]:
    root = Path(app.config["UPLOAD_DIR"])
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def database_files() -> dict[str, bytes]:
    db.session.rollback()
    kept = DatabaseStorage()
    return {key: b"".join(kept.open(key)) for key in kept.keys()}


def migrate(runner, to: str, **kwargs):
    return runner.invoke(args=["storage", "migrate", "--to", to], **kwargs)


def fail_on_call(monkeypatch, cls, method: str, number: int, error: BaseException) -> None:
    original, calls = getattr(cls, method), []

    def failing(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == number:
            raise error
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, failing)


def test_files_move_to_the_database_and_back_with_every_checksum_verified(app, runner, evidence, clients):
    result = migrate(runner, "database")
    assert result.exit_code == 0, result.output
    assert "5 file(s) in the local folder to move to the database." in result.output
    assert "5 file(s) verified in the database (5 copied, 0 already there" in result.output
    assert "5 removed from the local folder." in result.output
    assert "Now set RISKREG_STORAGE=database on every host" in result.output
    assert local_files(app) == {} and database_files() == evidence
    recorded = dict(db.session.execute(sa.select(StoredObject.key, StoredObject.sha256)).all())
    assert recorded == {key: hashlib.sha256(data).hexdigest() for key, data in evidence.items()}

    app.config["STORAGE"] = "database"  # as after RISKREG_STORAGE=database and a restart
    for item in db.session.scalars(sa.select(ControlEvidence)):
        download = clients["executive"].get(f"/controls/{item.control_id}/evidence/{item.id}")
        assert download.status_code == 200 and hashlib.sha256(download.get_data()).hexdigest() == item.sha256
        download.close()

    back = migrate(runner, "local")
    assert back.exit_code == 0, back.output
    assert "5 file(s) verified in the local folder (5 copied" in back.output
    assert "Now set RISKREG_STORAGE=local" in back.output
    assert local_files(app) == evidence and database_files() == {}


def test_a_copy_failing_half_way_removes_nothing_and_running_again_completes(
    app, runner, evidence, monkeypatch
):
    fail_on_call(monkeypatch, DatabaseStorage, "save", 3, OSError("connection to the database lost"))
    result = migrate(runner, "database")
    assert result.exit_code == 1
    third = sorted(evidence)[2]
    assert f"{third}: could not be copied (OSError: connection to the database lost)." in result.output
    assert "1 file(s) could not be moved; nothing was removed from the local folder." in result.output
    assert "run the command again" in result.output
    assert local_files(app) == evidence  # every file still at the source
    assert sorted(database_files()) == sorted(set(evidence) - {third})

    monkeypatch.undo()
    again = migrate(runner, "database")
    assert again.exit_code == 0, again.output
    assert "5 file(s) verified in the database (1 copied, 4 already there" in again.output
    assert local_files(app) == {} and database_files() == evidence


def test_a_run_killed_mid_copy_loses_nothing_and_running_again_completes(app, runner, evidence, monkeypatch):
    fail_on_call(monkeypatch, DatabaseStorage, "save", 4, Killed())
    with pytest.raises(Killed):
        migrate(runner, "database", catch_exceptions=False)
    assert local_files(app) == evidence
    assert len(database_files()) == 3

    monkeypatch.undo()
    again = migrate(runner, "database")
    assert again.exit_code == 0, again.output
    assert "(2 copied, 3 already there" in again.output
    assert local_files(app) == {} and database_files() == evidence


def test_a_run_killed_while_removing_the_source_is_finished_by_running_again(
    app, runner, evidence, monkeypatch
):
    fail_on_call(monkeypatch, LocalStorage, "delete", 2, Killed())
    with pytest.raises(Killed):
        migrate(runner, "database", catch_exceptions=False)
    assert database_files() == evidence and len(local_files(app)) == 4

    monkeypatch.undo()
    again = migrate(runner, "database")
    assert again.exit_code == 0, again.output
    assert "4 file(s) verified in the database (0 copied, 4 already there" in again.output
    assert local_files(app) == {} and database_files() == evidence


def test_a_file_that_no_longer_matches_its_recorded_checksum_is_not_moved(app, runner, evidence):
    damaged = next(key for key in sorted(evidence) if key.startswith("evidence/"))
    (Path(app.config["UPLOAD_DIR"]) / damaged).write_bytes(b"%PDF-1.4 altered")
    result = migrate(runner, "database")
    assert result.exit_code == 1
    assert f"{damaged}: its content does not match the checksum recorded at upload" in result.output
    assert "nothing was removed from the local folder" in result.output
    assert len(local_files(app)) == 5 and damaged not in database_files()


def test_nothing_to_move_says_so(app, runner):
    result = migrate(runner, "database")
    assert result.exit_code == 0, result.output
    assert "0 file(s) in the local folder to move" in result.output
    assert (
        "0 file(s) verified in the database (0 copied, 0 already there, 0.0 MB); 0 removed" in result.output
    )
