"""The database back end's tables: one row per file, its content in chunks of at most 1 MiB."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskreg.extensions import db
from riskreg.modeling import utcnow


class StoredObject(db.Model):
    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the whole content, recorded when saved
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredChunk(db.Model):
    __tablename__ = "stored_file_chunks"

    key: Mapped[str] = mapped_column(
        sa.String(255), sa.ForeignKey("stored_files.key", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
