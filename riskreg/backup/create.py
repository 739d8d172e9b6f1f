"""`flask backup create --out DIR`: the database as of one moment, then the kept files, then the manifest.

The files are copied after the database snapshot: evidence is only ever added, so every file the
snapshot refers to is there (one uploaded meanwhile is an extra file, harmless).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from riskreg import storage
from riskreg.backup import postgres
from riskreg.backup.manifest import FORMAT, BackupError, file_sha256, table_counts, write
from riskreg.controls.models import ControlEvidence
from riskreg.extensions import db
from riskreg.storage.local import LocalStorage

SQLITE_FILE = "database.sqlite"
POSTGRES_FILE = "database.pgdump"
FILES = "files"


@dataclass
class Snapshot:
    tables: dict[str, int]
    stored: dict[str, str]  # key -> sha256 of the files the database holds (database storage)
    revision: str | None


def create(out: Path, say: Callable[[str], None]) -> dict[str, Any]:
    out = out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(
            f"{out} already exists and is not empty: give a new or empty folder. Nothing was written."
        )
    made = not out.exists()
    out.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds password hashes: owner only
    try:
        return _create(out, say)
    except BaseException:  # an unfinished backup must not look like one
        for child in [out] if made else list(out.iterdir()):
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        raise


def _create(out: Path, say: Callable[[str], None]) -> dict[str, Any]:
    dialect = db.engine.dialect.name
    db.session.commit()  # the snapshot is taken on its own connection
    if dialect == "sqlite":
        database_file, snapshot = SQLITE_FILE, _sqlite(out / SQLITE_FILE)
    elif dialect == "postgresql":
        database_file, snapshot = POSTGRES_FILE, _postgres(out / POSTGRES_FILE)
    else:
        raise BackupError(f"Backups of {dialect} databases are not supported.")
    say(f"Database saved: {len(snapshot.tables)} tables, {sum(snapshot.tables.values())} rows.")
    kept = storage.current()
    stored = snapshot.stored
    if isinstance(kept, LocalStorage):
        stored = _copy_files(kept, out / FILES)
        say(f"Stored files copied: {len(stored)}.")
    _check_evidence(stored, say)
    files = {
        path.relative_to(out).as_posix(): {"size": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": dialect,
        "database_file": database_file,
        "revision": snapshot.revision,
        "storage": kept.name,
        "tables": snapshot.tables,
        "stored": stored,
        "files": files,
    }
    write(out, manifest)
    return manifest


def _sqlite(target: Path) -> Snapshot:
    """sqlite3's online backup: a consistent copy even while riskreg keeps writing."""
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise BackupError("This riskreg keeps its SQLite database in memory: there is nothing to back up.")
    source = sqlite3.connect(path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            return _read_snapshot(conn)
    finally:
        engine.dispose()


def _postgres(target: Path) -> Snapshot:
    """pg_dump of an exported snapshot: the counts are read in that very snapshot."""
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            exported = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = _read_snapshot(conn)
            postgres.dump(db.engine.url, target, exported)  # while the snapshot's transaction is open
    return snapshot


def _read_snapshot(conn: sa.Connection) -> Snapshot:
    tables = table_counts(conn)
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    stored = {}
    if "stored_files" in tables:
        stored = dict(conn.execute(sa.text("SELECT key, sha256 FROM stored_files")).all())
    return Snapshot(tables, stored, revision)


def _copy_files(kept: LocalStorage, folder: Path) -> dict[str, str]:
    copied = {}
    for key in kept.keys():
        target = folder.joinpath(*key.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(kept.path(key), target)
        except FileNotFoundError:  # removed since it was listed (an import preview let go)
            continue
        copied[key] = file_sha256(target)
    return copied


def _check_evidence(stored: dict[str, str], say: Callable[[str], None]) -> None:
    """Say so when evidence is missing or differs from its checksum: the backup still proceeds."""
    rows = db.session.execute(sa.select(ControlEvidence.stored_name, ControlEvidence.sha256)).all()
    db.session.commit()
    for name, sha in rows:
        found = stored.get(f"evidence/{name}")
        if found is None:
            say(f"Warning: evidence file evidence/{name} is recorded but not in the storage.")
        elif found != sha:
            say(f"Warning: evidence file evidence/{name} does not match the checksum recorded at upload.")
