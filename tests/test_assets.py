"""Assets: built once with Brotli and gzip copies, served by WhiteNoise with a year of caching,
linked with their content hash; without a build Flask serves the same URLs."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest

from riskreg import create_app
from riskreg.assets.build import build
from riskreg.assets.sources import STATIC_DIR
from riskreg.dashboard.views import PLOTLY_DIR
from tests.conftest import make_config, running_app

APP_CSS = (STATIC_DIR / "css" / "app.css").read_bytes()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("built") / "assets"
    app = create_app(make_config(sqlite_path=folder.parent / "build.sqlite"))
    build(app, folder, brotli_quality=6)  # 11, the densest, is for installs; 6 still beats gzip
    return folder


@pytest.fixture
def served(tmp_path, built):
    yield from running_app(tmp_path, ASSETS_DIR=str(built))


def test_brotli_to_a_browser_that_accepts_it_with_a_year_of_caching(served):
    with served.test_client().get("/static/css/app.css", headers={"Accept-Encoding": "gzip, br"}) as response:
        body = response.data
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert brotli.decompress(body) == APP_CSS


def test_gzip_when_brotli_is_not_accepted_and_plain_bytes_when_nothing_is(served):
    client = served.test_client()
    with client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"}) as zipped:
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == APP_CSS
    with client.get("/static/css/app.css", headers={"Accept-Encoding": "identity"}) as plain:
        assert "Content-Encoding" not in plain.headers
        assert plain.data == APP_CSS


def test_plotly_bundle_is_served_compressed_at_its_own_url(served):
    with served.test_client().get("/dashboard/plotly.min.js", headers={"Accept-Encoding": "br"}) as response:
        compressed = response.data
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    body = brotli.decompress(compressed)
    assert body == (PLOTLY_DIR / "plotly.min.js").read_bytes()
    assert len(compressed) < len(body) / 3


def test_pages_link_each_asset_with_its_content_hash(served, built):
    html = served.test_client().get("/login").get_data(as_text=True)
    link = re.search(r'href="/static/css/app\.css\?v=([0-9a-f]+)"', html)
    assert link, html[:500]
    assert link.group(1) == hashlib.sha256(APP_CSS).hexdigest()[:16]
    manifest = (built / "manifest.json").read_text()
    assert link.group(1) in manifest


def test_without_a_build_flask_serves_the_same_urls_uncompressed_and_still_versioned(app):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    version = hashlib.sha256(APP_CSS).hexdigest()[:16]
    assert f"/static/css/app.css?v={version}" in html
    with client.get(f"/static/css/app.css?v={version}", headers={"Accept-Encoding": "br"}) as response:
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert response.data == APP_CSS


def test_a_second_build_replaces_the_first_and_leaves_no_staging_folders(tmp_path):
    app = create_app(make_config(sqlite_path=tmp_path / "build.sqlite"))
    target = tmp_path / "assets"
    (target / "files" / "static").mkdir(parents=True)
    (target / "files" / "static" / "stale.js").write_text("old")
    report = build(app, target, brotli_quality=1)
    assert not (target / "files" / "static" / "stale.js").exists()
    assert (target / "files" / "static" / "css" / "app.css.br").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("assets")) == ["assets"]
    assert report.files >= 10 and report.gzip_bytes < report.raw_bytes / 3


def test_the_command_builds_and_refuses_without_a_folder(tmp_path, runner):
    refused = runner.invoke(args=["assets", "build"])
    assert refused.exit_code != 0
    assert "ASSETS_DIR is empty" in refused.output
    done = runner.invoke(args=["assets", "build", "--out", str(tmp_path / "out"), "--quality", "1"])
    assert done.exit_code == 0, done.output
    assert "asset(s)" in done.output
    assert (tmp_path / "out" / "files" / "dashboard" / "plotly.min.js.gz").exists()
