"""The files jobs write, by key: the only module that touches them (storage may move elsewhere).

Writing goes to a temporary name beside the final one and is published by a rename once complete,
so a reader never sees half a file; a job that dies leaves only the temporary, which delete() (the
reaper) removes with the key.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from flask import current_app

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}\.[a-z]{1,8}$")
PARTIAL = ".partial"


def new_key(job_id: int, suffix: str) -> str:
    """Unguessable as well as unique: a key is never a way in, but need not be a hint either."""
    return f"job-{job_id}-{secrets.token_hex(8)}.{suffix}"


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "jobs"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _path(key: str) -> Path:
    if not KEY.match(key):  # keys are made by new_key; anything else is a bug, never a path
        raise ValueError(f"not a job output key: {key!r}")
    return _folder() / key


@contextmanager
def write(key: str) -> Iterator[IO[bytes]]:
    """A binary file to fill; published under `key` when the block ends without an error."""
    final = _path(key)
    partial = final.with_name(final.name + PARTIAL)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def save(key: str, data: bytes) -> int:
    with write(key) as handle:
        handle.write(data)
    return len(data)


def open_output(key: str) -> BinaryIO | None:
    """The published file, or None when it is gone (expired, or never finished)."""
    try:
        return open(_path(key), "rb")  # noqa: SIM115 (the caller streams and closes it)
    except FileNotFoundError:
        return None


def size(key: str) -> int | None:
    try:
        return _path(key).stat().st_size
    except FileNotFoundError:
        return None


def delete(key: str) -> None:
    """The file and any unfinished temporary of it."""
    final = _path(key)
    final.unlink(missing_ok=True)
    final.with_name(final.name + PARTIAL).unlink(missing_ok=True)


def keys() -> list[str]:
    """Every key with a published or unfinished file (the reaper's sweep of orphans)."""
    return sorted({p.name.removesuffix(PARTIAL) for p in _folder().iterdir() if p.is_file()})
