"""Where each asset comes from, named by the endpoint and argument that link it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@dataclass(frozen=True)
class Asset:
    endpoint: str  # the view that serves it when there is no build
    argument: str  # its URL argument's name ("" when the URL has none)
    value: str  # that argument's value
    path: Path  # the file

    @property
    def key(self) -> str:
        return f"{self.endpoint}:{self.value}"


def assets() -> Iterator[Asset]:
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            yield Asset("static", "filename", path.relative_to(STATIC_DIR).as_posix(), path)
    from riskreg.dashboard.views import PLOTLY_DIR

    yield Asset("dashboard.plotly_js", "", "", PLOTLY_DIR / "plotly.min.js")
    from riskreg.api.views import ASSETS, assets_folder

    for name, folder in ASSETS.items():
        yield Asset("api.docs_asset", "name", name, assets_folder() / folder / name)


def source_of(endpoint: str, value: str) -> Path | None:
    """The file behind one asset URL, or None for anything that is not an asset."""
    if endpoint == "static":
        path = (STATIC_DIR / value).resolve()
        return path if path.is_file() and STATIC_DIR in path.parents else None
    for asset in assets():
        if asset.endpoint == endpoint and asset.value == value:
            return asset.path
    return None
