"""Browser journeys: Debian's Chromium, driven by Playwright, against a live riskreg on loopback.

Fixtures for every journey (mark each test `@pytest.mark.browser`):
- `live_server`: the app on a temporary SQLite file loaded with `seed demo`, served by werkzeug in
  a thread on 127.0.0.1 (a free port), for the whole session. `live_server.session()` reads its
  database. Journeys share it: count what you assert from the database, not from constants.
- `browser`: one Chromium for the session, /usr/bin/chromium (Debian's package, which `.ci/run`
  installs; without it the journeys are skipped, saying why). No browser is installed or downloaded here.
- `browsing` / `page`: a fresh browser context per test, whose every request to a host other than
  the live server is refused and recorded (`browsing.offsite`), as are uncaught script errors
  (`browsing.errors`). A failed journey leaves a screenshot of its end in tests/artifacts/;
  `browsing.keep(name)` screenshots a page for tests/artifacts/<name>.png, written if it passes.
- `sign_in(page, email)`: signs in through the real form with the demo password.
- `walked_pages`: (pages, unreachable) of tests/browser/site_pages.py, every HTML page of the URL
  map with its ids filled, after the objects the demo data lacks were made; the walks use it.
- `axe_file`: axe-core's file from node_modules (skipped, saying why, when `npm ci` has not run).
"""

from __future__ import annotations

import re
import secrets
import threading
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from riskreg import create_app
from riskreg.config import ROOT
from riskreg.extensions import db
from tests.browser import words

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # the npm package's (`npm ci`)
VIEWPORT = {"width": 1400, "height": 1000}
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 20_000


def ensure_chromium() -> str:
    """Debian's Chromium, as `.ci/run` installs it; never installed or downloaded by the tests.

    Without it the journeys are skipped, saying why and how to get it, rather than failed."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package (`apt-get install -y chromium`, "
        "as .ci/run does) to run the browser journeys"
    )


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request is noise here
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str

    @contextmanager
    def session(self) -> Iterator[Any]:
        """The live database, read in its own app context (as a second worker would)."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def owns(self, url: str) -> bool:
        parts, mine = urlsplit(url), urlsplit(self.url)
        return parts.scheme in ("data", "blob", "about") or parts.netloc == mine.netloc


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'riskreg.sqlite'}",
            "SECRET_KEY": secrets.token_hex(32),
            "UPLOAD_DIR": str(folder / "uploads"),
            "RATELIMIT_ENABLED": False,  # every journey signs in from the same address
            "JOBS_QUEUE_FILE": str(folder / "jobs-queue.sqlite"),  # no worker: a journey runs its job
            "JOBS_SCHEDULE": False,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is in the dev extra")
    executable = ensure_chromium()
    # Generous: a loaded 2-core machine can take seconds to render a page or draw a chart.
    sync_api.expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Browsing:
    page: Any
    offsite: list[str] = field(default_factory=list)  # requests to other hosts, refused
    errors: list[str] = field(default_factory=list)  # uncaught errors in the page's scripts
    kept: dict[str, bytes] = field(default_factory=dict)  # screenshots written if the journey passes

    def keep(self, name: str) -> None:
        """Screenshot the page now as tests/artifacts/<name>.png, written once the journey has passed
        (so the artifacts only ever show pages that were proved to work)."""
        self.kept[name] = self.page.screenshot(full_page=True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)  # the page fixture reads it at teardown


def artifact_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")


JOURNEY_LANGUAGES = ("en", "fr")  # every journey runs in English and once more in French


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("journey") and "journey_language" in metafunc.fixturenames:
        metafunc.parametrize("journey_language", JOURNEY_LANGUAGES, indirect=True)


@pytest.fixture
def journey_language(request: pytest.FixtureRequest) -> str:
    """English, for the walks; a journey (marked `journey`) gets each of JOURNEY_LANGUAGES. The
    journey's words (tests/browser/words.py) follow it, also in the fixtures that ask for it."""
    code = getattr(request, "param", "en")
    words.use(code)
    return code


@pytest.fixture
def browsing(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest, journey_language: str
) -> Iterator[Browsing]:
    # The browser asks for the language (Accept-Language) as a French user's browser does; the
    # demo users have no setting of their own, so every page answers in it.
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, accept_downloads=True, locale=journey_language
    )
    words.use(journey_language)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    state = Browsing(page)

    def guard(route: Any) -> None:
        if live_server.owns(route.request.url):
            route.continue_()
        else:  # offline: nothing leaves the machine, and the test sees that something tried
            state.offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("pageerror", lambda error: state.errors.append(str(error)))
    try:
        yield state
    finally:
        report = getattr(request.node, "report_call", None)
        failed_shot = artifact_path(f"failed-{request.node.name}")
        if report is None or report.failed:
            page.screenshot(path=str(failed_shot), full_page=True)
        else:
            failed_shot.unlink(missing_ok=True)  # an earlier run's failure no longer applies
            for name, image in state.kept.items():
                artifact_path(name).write_bytes(image)
        context.close()


@pytest.fixture
def page(browsing: Browsing) -> Any:
    return browsing.page


@pytest.fixture(scope="session")
def demo_password() -> str:
    with open(ROOT / "seeds" / "demo.toml", "rb") as handle:
        return tomllib.load(handle)["password"]


def sign_in_as(page: Any, email: str, password: str) -> None:
    """Signs in through the real form (also for walks that open their own contexts)."""
    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label(words.t("Email")).fill(email)
    form.get_by_label(words.t("Password")).fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name=words.t("Sign in")).click()
    assert "/login" not in page.url, f"{email} could not sign in"


@pytest.fixture
def sign_in(demo_password: str) -> Callable[[Any, str], None]:
    def sign_in(page: Any, email: str) -> None:
        sign_in_as(page, email, demo_password)

    return sign_in


@pytest.fixture(scope="session")
def walked_pages(live_server: LiveServer) -> tuple[list[Any], dict[str, str]]:
    """The walks' pages (tests/browser/site_pages.py): every HTML page of the URL map, after the
    objects the demo data lacks (a comment, a job, a webhook endpoint) were made in the live database."""
    from tests.browser.site_pages import add_missing_objects, site_pages

    add_missing_objects(live_server.app)
    with live_server.session() as session:
        return site_pages(live_server.app, session)


@pytest.fixture(scope="session")
def axe_file() -> Path:
    if not AXE.exists():
        pytest.skip(
            f"{AXE.relative_to(ROOT)} is missing: run `npm ci` (as `make install-dev` does) "
            "to install axe-core for the accessibility checks"
        )
    return AXE
