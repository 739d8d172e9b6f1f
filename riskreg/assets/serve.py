"""Serving: WhiteNoise in front of Flask when a build exists, and `?v=` on every asset URL."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise

from riskreg.assets.build import FILES, MANIFEST, content_hash
from riskreg.assets.sources import source_of

ONE_YEAR = 365 * 24 * 3600
VERSIONED = {"static": "filename", "dashboard.plotly_js": "", "api.docs_asset": "name"}


def install(app: Flask) -> None:
    folder = app.config.get("ASSETS_DIR")
    manifest = load_manifest(Path(folder)) if folder else None
    if manifest is not None:
        app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
            app.wsgi_app,
            root=str(Path(folder) / FILES),
            max_age=ONE_YEAR,  # safe: every link carries the content hash
            add_headers_function=security_headers,
        )
    versions = manifest or {}

    @app.url_defaults
    def _version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint not in VERSIONED or "v" in values:
            return
        value = str(values.get(VERSIONED[endpoint], "")) if VERSIONED[endpoint] else ""
        key = f"{endpoint}:{value}"
        version = versions.get(key) or source_version(endpoint, value)
        if version:
            values["v"] = version


def load_manifest(folder: Path) -> dict[str, str] | None:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=256)
def source_version(endpoint: str, value: str) -> str | None:
    """Without a build: the hash of the source file (read once per process)."""
    path = source_of(endpoint, value)
    return content_hash(path) if path is not None else None


def security_headers(headers: Any, path: str, url: str) -> None:
    """The headers Flask's own responses carry that matter for a script or a style sheet."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
