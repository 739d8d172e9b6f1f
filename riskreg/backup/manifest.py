"""manifest.json: what a backup holds (row counts per table, sha256 of every file) and its checks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

NAME = "manifest.json"
FORMAT = 1
READ_CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why and what to do."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def table_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows in every table of the database (read in the caller's transaction, so in its snapshot)."""
    names = sorted(sa.inspect(conn).get_table_names())
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
        for name in names
    }


def write(folder: Path, manifest: dict[str, Any]) -> None:
    """Written last, beside and renamed: a backup without a manifest is an unfinished one."""
    partial = folder / f".{NAME}.partial"
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    partial.replace(folder / NAME)


def read(folder: Path) -> dict[str, Any]:
    path = folder / NAME
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder: give the folder `flask backup create` wrote.")
    if not path.is_file():
        raise BackupError(
            f"{folder} has no {NAME}: it is not a riskreg backup, or its backup did not finish."
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read ({error}): the backup is damaged.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a manifest this riskreg can read (format {FORMAT} expected).")
    for part in ("database", "database_file", "tables", "files", "stored"):
        if part not in manifest:
            raise BackupError(f"{path} lacks {part!r}: the backup is damaged.")
    return manifest


def inside(folder: Path, relative: str) -> Path:
    """A manifest's path, refused if it would point outside the backup."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise BackupError(f"The manifest names {relative!r}, which is not a file inside the backup.")
    return folder.joinpath(*pure.parts)


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its size and sha256; the first that is not is named."""
    for relative, expected in sorted(manifest["files"].items()):
        path = inside(folder, relative)
        if not path.is_file():
            raise BackupError(
                f"{relative} is listed in the manifest but missing from {folder}. Nothing was restored."
            )
        if path.stat().st_size != expected.get("size") or file_sha256(path) != expected.get("sha256"):
            raise BackupError(
                f"{relative} does not match its checksum in the manifest: the backup is damaged or was "
                "changed. Nothing was restored."
            )
    if manifest["database_file"] not in manifest["files"]:
        raise BackupError(f"The manifest does not list the database file {manifest['database_file']!r}.")
