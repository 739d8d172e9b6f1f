"""Uploads kept between the preview and the confirmation: in the storage (riskreg/storage/, keys
"imports/<token>.xlsx" and ".json"), not memory.

Any worker on any host can pick up a preview: the workbook and a small JSON note (whose upload it is,
its checksum, the digest of the plan shown) are stored under a random token tied to the user. In
the database storage each change is committed at once, as a file on disk is written at once (the
views call these after their own commit, with nothing else pending).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from riskreg import storage
from riskreg.extensions import db

NAMESPACE = "imports"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
MAX_AGE_SECONDS = 2 * 3600  # a preview left longer than this must be uploaded again
SWEEP_AGE_SECONDS = 24 * 3600


@dataclass
class Upload:
    token: str
    user_id: int
    filename: str
    size: int
    sha256: str
    created: float
    digest: str = ""  # of the plan shown in the last preview
    versions: dict[str, int] = field(default_factory=dict)  # ref -> version of each risk it changes
    rows: int = 0  # rows the preview would write: a large confirm runs as a background job


def _key(token: str, suffix: str) -> str:
    return f"{NAMESPACE}/{token}{suffix}"


def _write(key: str, data: bytes) -> None:
    kept = storage.current()
    kept.save(key, io.BytesIO(data))
    _commit(kept)


def _commit(kept: storage.Storage) -> None:
    """Keep the change without expiring what the view loaded: it goes on to render the preview."""
    if not kept.transactional:
        return
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def save(data: bytes, filename: str, user_id: int) -> Upload:
    sweep()
    upload = Upload(
        token=secrets.token_urlsafe(32),
        user_id=user_id,
        filename=Path(filename or "upload.xlsx").name[:120],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created=time.time(),
    )
    _write(_key(upload.token, ".xlsx"), data)
    remember(upload)
    return upload


def remember(upload: Upload) -> None:
    _write(_key(upload.token, ".json"), json.dumps(asdict(upload)).encode())


def load(token: str, user_id: int) -> tuple[Upload, bytes] | None:
    """The upload and its bytes, or None when unknown, someone else's, expired or altered."""
    if not TOKEN.match(token or ""):
        return None
    kept = storage.current()
    try:
        upload = Upload(**json.loads(b"".join(kept.open(_key(token, ".json")))))
        data = b"".join(kept.open(_key(token, ".xlsx")))  # bounded by IMPORT_MAX_BYTES when saved
    except (OSError, ValueError, TypeError, storage.StorageError):
        return None
    if upload.user_id != user_id or time.time() - upload.created > MAX_AGE_SECONDS:
        return None
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        return None
    return upload, data


def discard(token: str) -> None:
    if not TOKEN.match(token or ""):
        return
    kept = storage.current()
    for suffix in (".xlsx", ".json"):
        kept.delete(_key(token, suffix))
    _commit(kept)


def sweep() -> None:
    """Remove uploads nobody confirmed (cheap: few are kept at a time)."""
    limit = time.time() - SWEEP_AGE_SECONDS
    kept = storage.current()
    for key in kept.keys(f"{NAMESPACE}/"):
        try:
            if kept.modified(key) < limit:
                kept.delete(key)
        except (OSError, storage.StorageError):
            continue
    _commit(kept)
