"""Downloads of stored files: send_file from the folder (range and conditional requests for free),
or a streamed response from the database, one chunk at a time."""

from __future__ import annotations

from flask import Response, send_file, stream_with_context
from werkzeug.http import dump_options_header

from riskreg.storage import current
from riskreg.storage.base import Missing
from riskreg.storage.database import DatabaseStorage
from riskreg.storage.local import LocalStorage


def send(key: str, *, mimetype: str, download_name: str, etag: str | None = None) -> Response:
    """An attachment; raises Missing when nothing is stored under `key` (the caller says 404)."""
    storage = current()
    if isinstance(storage, LocalStorage):
        path = storage.path(key)
        if not path.is_file():
            raise Missing(f"{key} is not in the storage folder.")
        return send_file(
            path, mimetype=mimetype, as_attachment=True, download_name=download_name, max_age=0, etag=etag
        )
    chunks = storage.open(key)
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = dump_options_header("attachment", {"filename": download_name})
    if isinstance(storage, DatabaseStorage):
        response.content_length = storage.size(key)
    if etag:
        response.set_etag(etag)
    return response
