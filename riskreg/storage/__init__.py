"""One storage for every kept file (evidence, import previews, job outputs): a local folder by
default, or the database with RISKREG_STORAGE=database so several hosts share nothing but it.

    stored = storage.current().save("evidence/<name>", stream, max_bytes=limit)
    for chunk in storage.current().open(stored.key): ...
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from riskreg.storage.base import (
    Full,
    IterStream,
    Missing,
    Storage,
    StorageError,
    StoredFile,
    TooLarge,
    check_key,
    checksum,
)
from riskreg.storage.database import DatabaseStorage
from riskreg.storage.local import LocalStorage

BACK_ENDS = ("local", "database")

__all__ = [
    "BACK_ENDS",
    "DatabaseStorage",
    "Full",
    "IterStream",
    "LocalStorage",
    "Missing",
    "Storage",
    "StorageError",
    "StoredFile",
    "TooLarge",
    "back_end",
    "check_key",
    "checksum",
    "current",
]


def local_root() -> Path:
    return Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def back_end(name: str) -> Storage:
    if name == "database":
        return DatabaseStorage()
    if name == "local":
        return LocalStorage(local_root())
    raise StorageError(f"Unknown storage {name!r}: use one of {', '.join(BACK_ENDS)}.")


def current() -> Storage:
    """The back end the configuration names (STORAGE, from RISKREG_STORAGE)."""
    return back_end(current_app.config.get("STORAGE", "local"))
