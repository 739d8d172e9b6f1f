"""Files in the database (RISKREG_STORAGE=database): every host sees them, and a dump carries them.

Writes go through the caller's session with Core statements (no ORM objects hold the chunks), so a
file is saved or undone with the rows that refer to it; reads fetch one chunk per query.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import IO

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.storage.base import CHUNK, Hashing, Missing, StoredFile, TooLarge, check_key, chunks_of
from riskreg.storage.models import StoredChunk, StoredObject

files = StoredObject.__table__
chunks = StoredChunk.__table__


class DatabaseStorage:
    name = "database"
    transactional = True

    def save(self, key: str, stream: IO[bytes], *, max_bytes: int | None = None) -> StoredFile:
        check_key(key)
        session = db.session
        self._remove(key)
        session.execute(sa.insert(files).values(key=key, size_bytes=0, sha256="", created_at=utcnow()))
        hashing = Hashing(key, max_bytes)
        try:
            for seq, chunk in enumerate(chunks_of(stream, CHUNK)):
                hashing.add(chunk)
                session.execute(sa.insert(chunks).values(key=key, seq=seq, data=chunk))
        except TooLarge:
            self._remove(key)
            raise
        stored = hashing.result()
        session.execute(
            sa.update(files).where(files.c.key == key).values(size_bytes=stored.size, sha256=stored.sha256)
        )
        return stored

    def open(self, key: str) -> Iterator[bytes]:
        check_key(key)
        if not self.exists(key):
            raise Missing(f"{key} is not in the database storage.")
        seqs = db.session.scalars(sa.select(chunks.c.seq).where(chunks.c.key == key).order_by(chunks.c.seq))
        return self._read(key, list(seqs))

    def _read(self, key: str, seqs: list[int]) -> Iterator[bytes]:
        query = sa.select(chunks.c.data).where(chunks.c.key == key, chunks.c.seq == sa.bindparam("seq"))
        for seq in seqs:
            yield bytes(db.session.execute(query, {"seq": seq}).scalar_one())

    def exists(self, key: str) -> bool:
        check_key(key)
        return db.session.execute(sa.select(files.c.key).where(files.c.key == key)).first() is not None

    def delete(self, key: str) -> None:
        check_key(key)
        self._remove(key)

    def _remove(self, key: str) -> None:
        db.session.execute(sa.delete(chunks).where(chunks.c.key == key))
        db.session.execute(sa.delete(files).where(files.c.key == key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        query = sa.select(files.c.key).order_by(files.c.key)
        if prefix:
            query = query.where(files.c.key.startswith(prefix, autoescape=True))
        yield from list(db.session.scalars(query))

    def size(self, key: str) -> int:
        size = db.session.scalar(sa.select(files.c.size_bytes).where(files.c.key == key))
        if size is None:
            raise Missing(f"{key} is not in the database storage.")
        return size

    def modified(self, key: str) -> float:
        created = db.session.scalar(sa.select(files.c.created_at).where(files.c.key == key))
        if created is None:
            raise Missing(f"{key} is not in the database storage.")
        return created.replace(tzinfo=UTC).timestamp()  # stored naive, in UTC

    def recorded(self) -> dict[str, str]:
        """Every key with the sha256 recorded when it was saved (for a backup's manifest)."""
        return dict(db.session.execute(sa.select(files.c.key, files.c.sha256)).all())
