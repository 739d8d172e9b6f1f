"""Log lines as plain text or as JSON lines (RISKREG_LOG_FORMAT=json), each with the request id."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from riskreg.observability.request_id import current_request_id

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# The attributes every LogRecord has; anything else was passed with extra= and goes into the JSON.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id ("-" outside any request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any extra= fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_format() -> str:
    raw = os.environ.get("RISKREG_LOG_FORMAT", "").strip().lower() or "text"
    if raw not in FORMATS:
        raise ValueError(f"RISKREG_LOG_FORMAT must be text or json, not {raw!r}")
    return raw


def log_stream():
    """Standard error by default (a command's standard output stays its own, for scripts to read);
    gunicorn.conf.py asks for standard output, where its access log used to go."""
    raw = os.environ.get("RISKREG_LOG_STREAM", "").strip().lower() or "stderr"
    if raw not in ("stdout", "stderr"):
        raise ValueError(f"RISKREG_LOG_STREAM must be stdout or stderr, not {raw!r}")
    return sys.stdout if raw == "stdout" else sys.stderr


def make_handler(fmt: str) -> logging.Handler:
    handler = logging.StreamHandler(log_stream())
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler._riskreg = True  # type: ignore[attr-defined]  (ours: not added twice by a second app)
    return handler


def configure(app: Flask) -> None:
    """Outside tests and the debugger, riskreg's lines go to RISKREG_LOG_STREAM in the chosen format. The
    format is checked even there, so a typo fails at start rather than in production."""
    fmt = log_format()
    log_stream()
    app.config["LOG_FORMAT"] = fmt
    root = logging.getLogger()
    if app.debug or app.testing or any(getattr(h, "_riskreg", False) for h in root.handlers):
        return
    if root.handlers:  # someone (a test runner, an embedding server) configured logging already
        return
    root.addHandler(make_handler(fmt))
    root.setLevel(os.environ.get("RISKREG_LOG_LEVEL", "INFO").strip().upper() or "INFO")
