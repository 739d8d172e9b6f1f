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
from riskreg.assets import serve, sources
from riskreg.assets.build import build, content_hash
from riskreg.assets.sources import CARTESIAN_PLOTLY, FULL_PLOTLY, STATIC_DIR, plotly_bundle
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
    assert body == plotly_bundle().read_bytes()
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


needs_npm = pytest.mark.skipif(not CARTESIAN_PLOTLY.is_file(), reason="npm ci has not installed node_modules")


@pytest.fixture
def fresh_versions():
    serve.source_version.cache_clear()  # each process hashes a source once; these tests swap them
    yield
    serve.source_version.cache_clear()


@needs_npm
def test_the_cartesian_bundle_is_built_and_served_when_npm_installed_it(served, built):
    assert plotly_bundle() == CARTESIAN_PLOTLY
    cartesian = CARTESIAN_PLOTLY.read_bytes()
    assert b"plotly.js (cartesian" in cartesian[:200] and len(cartesian) < FULL_PLOTLY.stat().st_size / 2
    client = served.test_client()
    with client.get("/dashboard/plotly.min.js", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert gzip.decompress(response.data) == cartesian
    assert (built / "files" / "dashboard" / "plotly.min.js.br").exists()
    assert content_hash(CARTESIAN_PLOTLY) in (built / "manifest.json").read_text()


@needs_npm
def test_the_cartesian_bundle_draws_every_trace_type_the_charts_use():
    registered = set(re.findall(rb'moduleType:"trace",name:"(\w+)"', CARTESIAN_PLOTLY.read_bytes()))
    assert {b"bar", b"heatmap", b"scatter"} <= registered


def test_the_cartesian_bundle_is_chosen_when_node_modules_has_it(
    app, clients, tmp_path, monkeypatch, fresh_versions
):
    bundle = tmp_path / "node_modules" / "plotly-cartesian.min.js"
    bundle.parent.mkdir()
    bundle.write_text("/* plotly.js (cartesian) */ window.Plotly = {};")
    monkeypatch.setattr(sources, "CARTESIAN_PLOTLY", bundle)
    assert plotly_bundle() == bundle
    served_from_flask(app, clients["executive"], bundle)


def test_without_node_modules_the_plotly_package_s_full_bundle_is_served(
    app, clients, tmp_path, monkeypatch, fresh_versions
):
    monkeypatch.setattr(sources, "CARTESIAN_PLOTLY", tmp_path / "node_modules" / "missing.min.js")
    assert plotly_bundle() == FULL_PLOTLY
    served_from_flask(app, clients["executive"], FULL_PLOTLY)
    target = tmp_path / "assets"
    build(app, target, brotli_quality=1)
    assert (target / "files" / "dashboard" / "plotly.min.js").read_bytes() == FULL_PLOTLY.read_bytes()


def served_from_flask(app, client, bundle: Path) -> None:
    """Without a build: the dashboard links `bundle` by its content hash and Flask serves its bytes."""
    from flask import url_for

    with app.test_request_context():
        url = url_for("dashboard.plotly_js")
    assert url == f"/dashboard/plotly.min.js?v={content_hash(bundle)}"
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.data == bundle.read_bytes()
        assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
