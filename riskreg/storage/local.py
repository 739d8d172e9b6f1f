"""Files in a local folder (UPLOAD_DIR): the key is the path below it, as riskreg always laid them out."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from riskreg.storage.base import CHUNK, Full, Hashing, Missing, StoredFile, check_key, chunks_of

STORAGE_FULL = {errno.ENOSPC, errno.EDQUOT}
PARTIAL = re.compile(r"^\..+\.[0-9a-f]{8}\.partial$")  # what save() writes beside its target


class LocalStorage:
    name = "local"
    transactional = False

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def save(self, key: str, stream: IO[bytes], *, max_bytes: int | None = None) -> StoredFile:
        """Written beside and renamed into place: a reader never sees half a file, and a failed
        write (a full disk, a file over the limit) leaves nothing behind."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
        hashing = Hashing(key, max_bytes)
        try:
            # O_EXCL: never write into someone else's file; 0o640: the service group only, never executable.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            # Held until the file is closed: sweep_partials() never removes a file being written.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks_of(stream, CHUNK):
                    hashing.add(chunk)
                    out.write(chunk)
            os.replace(partial, path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            if error.errno in STORAGE_FULL:
                raise Full(f"The storage folder {self.root} is full: {error.strerror}.") from error
            raise
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return hashing.result()

    def sweep_partials(self, older_than: float) -> list[str]:
        """Remove the half-written files a killed process left (a save that failed removes its
        own): only those untouched for `older_than` seconds whose writer's lock is gone."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        limit = time.time() - older_than
        for folder, _, files in os.walk(self.root):
            for name in files:
                path = Path(folder, name)
                if PARTIAL.match(name) and _abandoned(path, limit):
                    removed.append(path.relative_to(self.root).as_posix())
        return removed

    def open(self, key: str) -> Iterator[bytes]:
        path = self.path(key)
        if not path.is_file():
            raise Missing(f"{key} is not in the storage folder.")
        return _read(path)  # opened on the first chunk, closed with the generator

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder, subfolders, files in os.walk(self.root):
            subfolders.sort()
            for name in sorted(files):
                key = Path(folder, name).relative_to(self.root).as_posix()
                if key.startswith(prefix) and not name.startswith(".") and "/" in key:
                    yield key

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError as error:
            raise Missing(f"{key} is not in the storage folder.") from error

    def modified(self, key: str) -> float:
        try:
            return self.path(key).stat().st_mtime
        except FileNotFoundError as error:
            raise Missing(f"{key} is not in the storage folder.") from error


def _abandoned(path: Path, limit: float) -> bool:
    """Removed when old and unlocked (its writer died: the kernel dropped the lock with it)."""
    try:
        if path.stat().st_mtime > limit:
            return False
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False  # renamed into place, or removed, meanwhile
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # being written right now
    else:
        path.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
