"""The files jobs write, by key, kept in riskreg's storage under "jobs/" (riskreg/storage): in the
local folder, or in the database so that any host serves a file another host's worker wrote.

A job writes into a temporary file first; only a complete file is saved into the storage, so a
reader never sees half a file and a job that dies leaves nothing to serve.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from flask import Response

from riskreg import storage
from riskreg.extensions import db

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}\.[a-z]{1,8}$")
NAMESPACE = "jobs/"


def new_key(job_id: int, suffix: str) -> str:
    """Unguessable as well as unique: a key is never a way in, but need not be a hint either."""
    return f"job-{job_id}-{secrets.token_hex(8)}.{suffix}"


def _stored(key: str) -> str:
    if not KEY.match(key):  # keys are made by new_key; anything else is a bug, never a path
        raise ValueError(f"not a job output key: {key!r}")
    return NAMESPACE + key


@contextmanager
def write(key: str) -> Iterator[IO[bytes]]:
    """A binary file to fill; saved under `key` when the block ends without an error."""
    stored = _stored(key)
    with tempfile.TemporaryFile(prefix="riskreg-job-") as handle:
        yield handle
        handle.seek(0)
        kept = storage.current()
        kept.save(stored, handle)
        if kept.transactional:  # in the database: visible to every host once committed
            db.session.commit()


def save(key: str, data: bytes) -> int:
    with write(key) as handle:
        handle.write(data)
    return len(data)


def send(key: str, *, mimetype: str, download_name: str) -> Response | None:
    """The saved file as an attachment streamed from the storage (chunks read while the response
    is sent, inside the request's context), or None when it is gone."""
    from riskreg.storage.http import send as send_stored

    try:
        return send_stored(_stored(key), mimetype=mimetype, download_name=download_name)
    except storage.Missing:
        return None


def size(key: str) -> int | None:
    try:
        return storage.current().size(_stored(key))
    except storage.Missing:
        return None


def delete(key: str) -> None:
    storage.current().delete(_stored(key))


def keys() -> list[str]:
    """Every key with a saved file (the reaper's sweep of orphans)."""
    return sorted(k.removeprefix(NAMESPACE) for k in storage.current().keys(NAMESPACE))
