"""The storage interface: files kept under string keys such as "evidence/<name>" or "jobs/<id>.xlsx"."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

CHUNK = 1024 * 1024  # what is read, written and held at once: files never sit whole in memory
# A key is "namespace/name" (or deeper): plain path segments only, so a key can never leave the root.
# A segment may start with "-" (URL-safe tokens do), never with "." (no "..", no hidden files).
SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")


class StorageError(Exception):
    """Storage could not do what was asked; the message says why."""


class Missing(StorageError, FileNotFoundError):
    """No file is stored under that key."""


class TooLarge(StorageError):
    """The file is over the size allowed for it; nothing was kept."""


class Full(StorageError):
    """The disk (or the service's quota) has no room; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


def check_key(key: str) -> str:
    parts = key.split("/")
    if len(parts) < 2 or len(key) > 255 or not all(SEGMENT.match(part) for part in parts):
        raise StorageError(f"{key!r} is not a storage key.")
    if parts[-1].endswith(".partial"):  # the local back end's files being written
        raise StorageError(f"{key!r} is not a storage key.")
    return key


class Storage(Protocol):
    """Keys are "namespace/name" ("evidence/...", "imports/...", "jobs/..."). The local back end
    writes at once; the database back end writes in the caller's session, which must commit."""

    name: str
    # True when saves and deletes belong to the caller's database transaction (a rollback undoes them).
    transactional: bool

    def save(self, key: str, stream: IO[bytes], *, max_bytes: int | None = None) -> StoredFile:
        """Read `stream` in chunks into `key` (replacing it); TooLarge or Full keep nothing."""
        ...

    def open(self, key: str) -> Iterator[bytes]:
        """The content in chunks of at most CHUNK bytes; Missing when nothing is stored there."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...

    def size(self, key: str) -> int:
        """Its length in bytes; Missing when nothing is stored there."""
        ...

    def modified(self, key: str) -> float:
        """When the file was saved (seconds since the epoch)."""
        ...


class Hashing:
    """Counts and hashes the chunks passing through, refusing more than `max_bytes`."""

    def __init__(self, key: str, max_bytes: int | None):
        self.key, self.max_bytes = key, max_bytes
        self.size, self.digest = 0, hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge(f"{self.key} is larger than the {self.max_bytes} bytes allowed.")
        self.digest.update(chunk)

    def result(self) -> StoredFile:
        return StoredFile(self.key, self.size, self.digest.hexdigest())


def chunks_of(stream: IO[bytes], size: int = CHUNK) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def checksum(chunks: Iterable[bytes]) -> tuple[int, str]:
    """Size and sha256 of what is actually stored, read back chunk by chunk."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


class IterStream:
    """A read()-able stream over chunks, to save what one back end yields into another."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks, self._buffer = iter(chunks), b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
