"""Where each asset comes from, named by the endpoint and argument that link it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import plotly

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
FULL_PLOTLY = PLOTLY_DIR / "plotly.min.js"
# The charts are bars, heatmaps and lines: plotly.js's cartesian bundle (1.5 MB, pinned in
# package.json, installed by `make install`) draws them all at a third of the full bundle's size.
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
CARTESIAN_PLOTLY = NODE_MODULES / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"


@dataclass(frozen=True)
class Asset:
    endpoint: str  # the view that serves it when there is no build
    argument: str  # its URL argument's name ("" when the URL has none)
    value: str  # that argument's value
    path: Path  # the file

    @property
    def key(self) -> str:
        return f"{self.endpoint}:{self.value}"


def plotly_bundle() -> Path:
    """The cartesian bundle when npm installed it, else the plotly package's full one (4.8 MB)."""
    return CARTESIAN_PLOTLY if CARTESIAN_PLOTLY.is_file() else FULL_PLOTLY


def assets() -> Iterator[Asset]:
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            yield Asset("static", "filename", path.relative_to(STATIC_DIR).as_posix(), path)
    yield Asset("dashboard.plotly_js", "", "", plotly_bundle())
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
