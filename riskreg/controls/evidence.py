"""Evidence files: checked (size, name and content agree), stored under random names in the storage
(riskreg/storage/, key "evidence/<name>"), removed on failure."""

from __future__ import annotations

import logging
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import quote

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.http import dump_options_header
from werkzeug.utils import secure_filename

from riskreg import storage
from riskreg.i18n import gettext as _
from riskreg.i18n import number

logger = logging.getLogger(__name__)

SNIFF_BYTES = 8 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
STORED_NAME = re.compile(r"^[0-9a-f]{32,64}$")
NAMESPACE = "evidence"


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    zip_folder: str | None = None  # OOXML: the part folder the package must contain


KINDS: dict[str, Kind] = {
    ".pdf": Kind("PDF", "application/pdf"),
    ".png": Kind("PNG image", "image/png"),
    ".jpg": Kind("JPEG image", "image/jpeg"),
    ".jpeg": Kind("JPEG image", "image/jpeg"),
    ".gif": Kind("GIF image", "image/gif"),
    ".webp": Kind("WebP image", "image/webp"),
    ".docx": Kind(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "word/",
    ),
    ".xlsx": Kind(
        "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/"
    ),
    ".pptx": Kind(
        "PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ppt/",
    ),
    ".doc": Kind("Word 97-2003 document", "application/msword"),
    ".xls": Kind("Excel 97-2003 workbook", "application/vnd.ms-excel"),
    ".csv": Kind("CSV file", "text/csv; charset=utf-8"),
    ".txt": Kind("text file", "text/plain; charset=utf-8"),
}
ALLOWED_EXTENSIONS = ", ".join(sorted({ext.lstrip(".") for ext in KINDS}))
# "does not look like a PDF": each kind with its article, in the reader's language.
A_KIND = {
    "PDF": _l("a PDF"),
    "PNG image": _l("a PNG image"),
    "JPEG image": _l("a JPEG image"),
    "GIF image": _l("a GIF image"),
    "WebP image": _l("a WebP image"),
    "Word document": _l("a Word document"),
    "Excel workbook": _l("an Excel workbook"),
    "PowerPoint presentation": _l("a PowerPoint presentation"),
    "Word 97-2003 document": _l("a Word 97-2003 document"),
    "Excel 97-2003 workbook": _l("an Excel 97-2003 workbook"),
    "CSV file": _l("a CSV file"),
    "text file": _l("a text file"),
}


class EvidenceError(ValueError):
    """The file cannot be accepted; the message says why, naming the file (a lazy text, in the
    reader's language where it is shown: str() it there)."""


class StorageFull(EvidenceError):
    """The disk (or the service's quota) has no room for the file."""


@dataclass
class StoredFile:
    key: str
    stored_name: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str


def key_of(stored_name: str) -> str:
    if not STORED_NAME.match(stored_name):  # never look up anything but our own random names
        raise EvidenceError(_l("Unknown evidence file."))
    return f"{NAMESPACE}/{stored_name}"


def submitted(files: list[Any] | None) -> list[FileStorage]:
    """The files the user actually chose (a browser sends an empty part when none is chosen)."""
    return [f for f in files or [] if isinstance(f, FileStorage) and f.filename]


def extension(name: str) -> str:
    return os.path.splitext(name.strip().lower())[1]


def _sniff_matches(ext: str, head: bytes, stream: IO[bytes]) -> bool:
    if ext == ".pdf":
        return head.startswith(b"%PDF-")
    if ext == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == ".gif":
        return head[:6] in (b"GIF87a", b"GIF89a")
    if ext == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext in (".doc", ".xls"):
        return head.startswith(OLE_MAGIC)
    if ext in (".docx", ".xlsx", ".pptx"):
        return head.startswith(b"PK\x03\x04") and _is_ooxml(stream, KINDS[ext].zip_folder or "")
    if ext in (".csv", ".txt"):
        return _is_text(head)
    return False


def _is_ooxml(stream: IO[bytes], folder: str) -> bool:
    """Only the zip directory is read (nothing is decompressed, so a zip bomb costs nothing)."""
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        stream.seek(0)
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    # The sample may end inside a multi-byte character: allow up to 3 bytes to be cut off.
    for cut in range(4):
        try:
            head[: len(head) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def check(upload: FileStorage, max_bytes: int) -> Kind:
    """Refuse empty, too large, or disallowed files, and files whose content is not what their name says."""
    name = upload.filename or _("the file")
    ext = extension(name)
    kind = KINDS.get(ext)
    if kind is None:
        raise EvidenceError(
            _l(
                "%(name)s: this type of file is not accepted. Allowed: %(allowed)s.",
                name=name,
                allowed=ALLOWED_EXTENSIONS,
            )
        )
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise EvidenceError(_l("%(name)s is empty.", name=name))
    if size > max_bytes:
        raise EvidenceError(
            _l(
                "%(name)s is %(size)s; evidence files may be at most %(limit)s.",
                name=name,
                size=megabytes(size),
                limit=megabytes(max_bytes),
            )
        )
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not _sniff_matches(ext, head, stream):
        raise EvidenceError(
            _l(
                "%(name)s does not look like %(kind)s: its content does not match its name.",
                name=name,
                kind=A_KIND[kind.label],
            )
        )
    return kind


def megabytes(size: int) -> str:
    """A size as people read it, in the reader's language ("1.5 MB", "1,5 Mo")."""
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=number(round(size / (1024 * 1024), 1)))
    return _("%(size)s KB", size=max(1, size // 1024))


@dataclass
class FileBatch:
    """Files written for one transaction: if the block fails, they are removed again.

    with FileBatch() as batch:
        stored = batch.store(upload, kind)
        ...; db.session.commit()
    """

    stored: list[StoredFile] = field(default_factory=list)

    def __enter__(self) -> FileBatch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()

    def store(self, upload: FileStorage, kind: Kind, max_bytes: int | None = None) -> StoredFile:
        """Keep the file under a random name; a full disk is a StorageFull, nothing kept."""
        stored_name = secrets.token_hex(24)
        key = key_of(stored_name)
        result = StoredFile(key, stored_name, clean_name(upload.filename or ""), kind.content_type, 0, "")
        upload.stream.seek(0)
        try:
            # check() refused larger files already; the storage bounds what it writes as well.
            limit = max_bytes or current_app.config["EVIDENCE_MAX_BYTES"]
            saved = storage.current().save(key, upload.stream, max_bytes=limit)
        except storage.Full as error:
            logger.error("evidence storage is full: %s", error)
            raise StorageFull(
                _l(
                    "%(name)s was not saved: the evidence storage is full. Nothing was "
                    "changed; tell an administrator, then try again.",
                    name=result.original_name,
                )
            ) from error
        result.size_bytes, result.sha256 = saved.size, saved.sha256
        self.stored.append(result)
        return result

    def discard(self) -> None:
        backend = storage.current()
        if not backend.transactional:  # in the database, the caller's rollback removes them
            for item in self.stored:
                try:
                    backend.delete(item.key)
                except OSError:
                    logger.exception("could not remove evidence file %s", item.stored_name)
        self.stored.clear()


def clean_name(original: str) -> str:
    """The name as the user gave it (kept for display), in NFC, without any path, control or
    formatting characters (bidi overrides, zero-width), line separators turned to spaces."""
    base = unicodedata.normalize("NFC", original).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        " " if unicodedata.category(ch) in ("Zl", "Zp", "Zs") else ch
        for ch in base
        if unicodedata.category(ch)[0] != "C"
    )
    return " ".join(base.split())[:255] or "evidence"


def download_name(original: str, fallback_stem: str) -> str:
    """A readable ASCII name for Content-Disposition's filename: accents dropped, anything else
    unusual replaced (secure_filename), or `fallback_stem` with the extension when little is left."""
    cleaned = clean_name(original)
    dot, ext = cleaned.rpartition(".")[1:]
    ext = f".{ext.lower()}" if dot else ""  # ".pdf" too, which os.path.splitext takes for a stem
    ascii_only = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    safe = secure_filename(ascii_only)
    if not safe.lower().endswith(ext) or not safe[: len(safe) - len(ext)].strip("._-"):
        safe = f"{fallback_stem}{ext}"
    return safe


def content_disposition(original: str, fallback_stem: str) -> str:
    """`attachment` with the ASCII name, plus the real name in RFC 5987's filename* when it differs."""
    ascii_name = download_name(original, fallback_stem)
    cleaned = clean_name(original)
    options = {"filename": ascii_name}
    if cleaned != ascii_name:
        options["filename*"] = f"UTF-8''{quote(cleaned, safe='')}"
    return dump_options_header("attachment", options)
