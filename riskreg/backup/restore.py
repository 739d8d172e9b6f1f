"""`flask backup restore DIR`: check the manifest, refuse to overwrite data unless told, restore the
database and the files, then check every count and checksum against the manifest."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskreg import storage
from riskreg.backup import postgres
from riskreg.backup.create import FILES
from riskreg.backup.manifest import BackupError, inside, read, table_counts, verify
from riskreg.extensions import db
from riskreg.storage import DatabaseStorage, checksum

FILE_TABLES = {"stored_files", "stored_file_chunks"}


@dataclass
class Restored:
    tables: int
    rows: int
    files: int


def restore(folder: Path, force: bool, say: Callable[[str], None]) -> Restored:
    folder = folder.resolve()
    manifest = read(folder)
    verify(folder, manifest)  # before anything is touched
    say(f"The manifest and its {len(manifest['files'])} file(s) check out.")
    dialect = db.engine.dialect.name
    if manifest["database"] != dialect:
        raise BackupError(
            f"This backup is of a {manifest['database']} database; this riskreg uses {dialect}. "
            "Nothing was restored."
        )
    occupied = _occupied()
    if occupied and not force:
        listed = ", ".join(f"{name} ({count})" for name, count in occupied[:5])
        more = f" and {len(occupied) - 5} more tables" if len(occupied) > 5 else ""
        raise BackupError(
            f"The database is not empty: {listed}{more}. Restore into an "
            "empty database, or add --force to replace everything in it. Nothing was restored."
        )
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old database
    database_file = inside(folder, manifest["database_file"])
    if dialect == "sqlite":
        _sqlite(database_file)
    else:
        with db.engine.connect() as conn:
            drops = postgres.drops(conn)
        postgres.restore(db.engine.url, database_file, drops)
    db.engine.dispose()
    with db.engine.connect() as conn:
        counts = table_counts(conn)
    wrong = [
        f"{name}: {counts.get(name, 'no table')} rows, the manifest says {expected}"
        for name, expected in sorted(manifest["tables"].items())
        if counts.get(name) != expected
    ]
    if wrong:
        raise BackupError("The restored database does not match the manifest:\n" + "\n".join(wrong))
    rows = sum(counts.values())
    say(f"Database restored: {len(counts)} tables, {rows} rows, each count as in the manifest.")
    files = _files(folder, manifest, say)
    return Restored(len(counts), sum(counts.values()), files)


FIRST_NAMED = ("risks", "controls", "users", "sites", "control_evidence")  # what a reader recognises


def _occupied() -> list[tuple[str, int]]:
    with db.engine.connect() as conn:
        counts = table_counts(conn)
    held = [(name, count) for name, count in counts.items() if count and name != "alembic_version"]
    return sorted(
        held, key=lambda item: (FIRST_NAMED.index(item[0]) if item[0] in FIRST_NAMED else 99, item[0])
    )


def _sqlite(database_file: Path) -> None:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise BackupError("This riskreg keeps its SQLite database in memory: give it a file to restore into.")
    source = sqlite3.connect(database_file)
    target = sqlite3.connect(path)
    try:
        source.backup(target)  # replaces the whole database in one step
    finally:
        source.close()
        target.close()


def _files(folder: Path, manifest: dict[str, Any], say: Callable[[str], None]) -> int:
    """Files copied in the backup go into the configured storage; then every one is read back."""
    stored: dict[str, str] = manifest["stored"]
    copied = folder / FILES
    kept = storage.current()
    if manifest["storage"] == "database":
        if kept.name != "database":
            say(
                "The backup keeps its files in the database: set RISKREG_STORAGE=database, or run "
                "`flask storage migrate --to local`."
            )
        kept = DatabaseStorage()
    else:
        for key in sorted(stored):
            with inside(copied, key).open("rb") as handle:
                kept.save(key, handle)
            db.session.commit()
    wrong = []
    for key, sha in sorted(stored.items()):
        try:
            if checksum(kept.open(key))[1] != sha:
                wrong.append(f"{key}: its checksum differs from the manifest's")
        except storage.Missing:
            wrong.append(f"{key}: missing after the restore")
    db.session.commit()
    if wrong:
        raise BackupError("The restored files do not match the manifest:\n" + "\n".join(wrong))
    say(f"Stored files restored: {len(stored)}, each checksum as in the manifest.")
    return len(stored)
