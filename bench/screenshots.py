"""Retake the README tour's screenshots at a desktop's width (1400 px) and a phone's (390 px).

    python bench/screenshots.py [--out docs/screenshots]      (or: make screenshots)

Starts riskreg on a temporary SQLite file loaded with `seed demo` (as the browser tests do), signs
each tour's user in through the real form with Debian's Chromium (/usr/bin/chromium, through
Playwright) and writes <page>-1400.png and <page>-390.png: the top of each page (a screenful on a
desktop, two on a phone), so the images stay small. Nothing leaves the machine: requests to other hosts are refused.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from riskreg import create_app  # noqa: E402
from riskreg.extensions import db  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Each width: (the viewport's height, the height of the picture kept from the top of the page). A
# phone's picture is taller than its screen so that it reaches past the header and the filters.
WIDTHS = {1400: (900, 900), 390: (844, 1600)}


@dataclass(frozen=True)
class Shot:
    name: str  # docs/screenshots/<name>-<width>.png
    email: str  # who signs in (seeds/demo.toml)
    path: str  # the page, or "risk" for the demo risk with the most controls
    ready: str | None = None  # a selector to wait for before the picture (the charts drawn)


TOUR = [
    Shot("register", "risk@example.com", "/risks"),
    Shot("risk", "risk@example.com", "risk"),
    Shot("my-controls", "security.head@example.com", "/controls/mine"),
    Shot("dashboard", "exec@example.com", "/dashboard", '[data-figure][data-drawn="true"] svg.main-svg'),
]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def demo_server(folder: Path) -> Iterator[tuple[str, int]]:
    """(the server's URL, the id of the demo risk with the most controls)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'riskreg.sqlite'}",
            "SECRET_KEY": secrets.token_hex(32),
            "UPLOAD_DIR": str(folder / "uploads"),
            "RATELIMIT_ENABLED": False,
            "JOBS_QUEUE_FILE": str(folder / "jobs-queue.sqlite"),
            "JOBS_SCHEDULE": False,
        }
    )
    from riskreg.controls.models import risk_controls

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        if result.exit_code != 0:
            raise SystemExit(f"seed demo failed:\n{result.output}")
        risk_id = db.session.scalar(
            select(risk_controls.c.risk_id)
            .group_by(risk_controls.c.risk_id)
            .order_by(func.count().desc(), risk_controls.c.risk_id)
            .limit(1)
        )
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", risk_id
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def take(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium package")
    with open(ROOT / "seeds" / "demo.toml", "rb") as handle:
        password = tomllib.load(handle)["password"]
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder, demo_server(Path(folder)) as (url, risk_id):
        host = urlsplit(url).netloc
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for width, (height, kept) in WIDTHS.items():
                for shot in TOUR:
                    context = browser.new_context(base_url=url, viewport={"width": width, "height": height})
                    context.set_default_timeout(30_000)
                    context.route(
                        "**/*",
                        lambda route: (
                            route.continue_()
                            if urlsplit(route.request.url).netloc in (host, "")
                            else route.abort()
                        ),
                    )
                    page = context.new_page()
                    page.goto("/login")
                    form = page.locator("main form")
                    form.get_by_label("Email").fill(shot.email)
                    form.get_by_label("Password").fill(password)
                    with page.expect_navigation():
                        form.get_by_role("button", name="Sign in").click()
                    page.goto(f"/risks/{risk_id}" if shot.path == "risk" else shot.path)
                    if shot.ready:
                        page.wait_for_selector(shot.ready)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{shot.name}-{width}.png"
                    tall = min(kept, page.evaluate("document.documentElement.scrollHeight"))
                    clip = {"x": 0, "y": 0, "width": width, "height": tall}
                    page.screenshot(path=str(target), full_page=True, clip=clip, animations="disabled")
                    written.append(target)
                    context.close()
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    for path in take(args.out):
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB"
        )


if __name__ == "__main__":
    main()
