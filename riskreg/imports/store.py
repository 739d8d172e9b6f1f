"""Uploads kept between the preview and the confirmation: files under UPLOAD_DIR/imports, not memory.

Any worker on any host can pick up a preview: the workbook and a small JSON note (whose upload it is,
its checksum, the digest of the plan shown) are stored under a random token tied to the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import current_app

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


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, data: bytes) -> None:
    """Owner-only file, written beside and renamed: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


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
    _write(folder() / f"{upload.token}.xlsx", data)
    remember(upload)
    return upload


def remember(upload: Upload) -> None:
    _write(folder() / f"{upload.token}.json", json.dumps(asdict(upload)).encode())


def load(token: str, user_id: int) -> tuple[Upload, bytes] | None:
    """The upload and its bytes, or None when unknown, someone else's, expired or altered."""
    if not TOKEN.match(token or ""):
        return None
    base = folder()
    try:
        upload = Upload(**json.loads((base / f"{token}.json").read_text()))
        data = (base / f"{token}.xlsx").read_bytes()
    except (OSError, ValueError, TypeError):
        return None
    if upload.user_id != user_id or time.time() - upload.created > MAX_AGE_SECONDS:
        return None
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        return None
    return upload, data


def discard(token: str) -> None:
    if not TOKEN.match(token or ""):
        return
    for suffix in (".xlsx", ".json"):
        (folder() / f"{token}{suffix}").unlink(missing_ok=True)


def sweep() -> None:
    """Remove uploads nobody confirmed (cheap: the folder holds few files)."""
    limit = time.time() - SWEEP_AGE_SECONDS
    for path in folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
