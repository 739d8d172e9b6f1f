"""`flask assets build`: copy every asset under its URL's path, compress, and write the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from whitenoise.compress import Compressor

from riskreg.assets.sources import assets

MANIFEST = "manifest.json"
FILES = "files"  # WhiteNoise's root: only what may be served is under it


@dataclass(frozen=True)
class BuildReport:
    files: int
    raw_bytes: int
    brotli_bytes: int
    gzip_bytes: int

    def __str__(self) -> str:
        mib = 1024 * 1024
        return (
            f"{self.files} asset(s): {self.raw_bytes / mib:.1f} MiB, "
            f"{self.brotli_bytes / mib:.1f} MiB with Brotli, {self.gzip_bytes / mib:.1f} MiB with gzip"
        )


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


class TunedCompressor(Compressor):
    """WhiteNoise's compressor with Brotli's quality chosen (11, the densest, takes ~10 s for
    Plotly's bundle; a test build asks for less)."""

    def __init__(self, brotli_quality: int) -> None:
        super().__init__(quiet=True)
        self.brotli_quality = brotli_quality

    def compress_brotli(self, data: bytes) -> bytes:  # type: ignore[override]
        import brotli

        return brotli.compress(data, quality=self.brotli_quality)


def build(app: Flask, target: Path, brotli_quality: int = 11) -> BuildReport:
    """Build into a fresh folder beside `target`, then swap it in: a running server never sees a
    half-written build (it reads the folder when it starts)."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    manifest: dict[str, str] = {}
    copies: list[Path] = []
    # The URL map itself, not url_for: url_for would add the ?v= this build is computing.
    adapter = app.url_map.bind("localhost")
    with app.app_context():
        for asset in assets():
            url = adapter.build(asset.endpoint, {asset.argument: asset.value} if asset.argument else {})
            destination = staging / FILES / url.lstrip("/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(asset.path, destination)
            manifest[asset.key] = content_hash(destination)
            copies.append(destination)
    compressor = TunedCompressor(brotli_quality)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(compressor.compress, [str(p) for p in copies if compressor.should_compress(p.name)]))
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    report = BuildReport(
        files=len(copies),
        raw_bytes=sum(p.stat().st_size for p in copies),
        brotli_bytes=sum(size_of(p, ".br") for p in copies),
        gzip_bytes=sum(size_of(p, ".gz") for p in copies),
    )
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return report


def size_of(path: Path, suffix: str) -> int:
    """The compressed copy's size, or the file's own when compressing it did not pay."""
    compressed = path.with_name(path.name + suffix)
    return (compressed if compressed.exists() else path).stat().st_size
