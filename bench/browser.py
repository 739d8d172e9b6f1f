"""Browser benchmark: the dashboard's first and repeat view in Chromium, at the demo size and at 1,000 risks.

    .venv/bin/python bench/run.py --browser [--browser-runs 5]   (or: make bench BENCH_ARGS=--browser)

Scratch SQLite databases (the demo data; a `flask seed scale` register of 1,000 risks) are served by
gunicorn on loopback, with the `flask assets build` output (WhiteNoise: Brotli, a year of caching) as
an install serves them, and once more without a build (Flask serves the raw files) for comparison.
For each run, in a new browser context (empty cache) a user signs in and opens the dashboard ("first
view": Plotly's bundle is fetched), then opens it again ("repeat view": from the cache). A view ends
when the page has loaded and every chart in the first screen (1280 x 720) has been drawn; charts
further down are drawn as they are scrolled to. Medians of the runs; the KiB are what went over the
wire for the view (Resource Timing's transferSize: headers included, 0 for a cached file).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "bench" / "data" / "browser"
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
# As the browser tests start it: no background traffic to hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_FIRST_MS, TARGET_REPEAT_MS = 1500.0, 500.0
SCALE_RISKS = 1_000
# Polled on every animation frame: the time since navigation when the first screen is complete.
FIRST_SCREEN_DRAWN = """() => {
  if (document.readyState !== 'complete') return false;
  const charts = [...document.querySelectorAll('[data-figure]')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  });
  return charts.every(e => e.getAttribute('data-drawn') === 'true') ? performance.now() : false;
}"""
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const entries = [nav, ...performance.getEntriesByType('resource')];
  return {
    html: nav.responseEnd,
    paint: paint ? paint.startTime : NaN,
    kib: entries.reduce((n, e) => n + (e.transferSize || 0), 0) / 1024,
  };
}"""


@dataclass
class View:
    done: list[float] = field(default_factory=list)  # ms from navigation to the first screen drawn
    html: list[float] = field(default_factory=list)  # ms to the page's last byte (the server's part)
    paint: list[float] = field(default_factory=list)  # ms to the first contentful paint (the tables)
    kib: list[float] = field(default_factory=list)

    def add(self, done: float, timings: dict) -> None:
        self.done.append(done)
        self.html.append(timings["html"])
        self.paint.append(timings["paint"])
        self.kib.append(timings["kib"])


@dataclass
class Case:
    label: str
    first: View
    repeat: View

    def passed(self) -> bool:
        return (
            statistics.median(self.first.done) <= TARGET_FIRST_MS
            and statistics.median(self.repeat.done) <= TARGET_REPEAT_MS
        )

    def line(self) -> str:
        cells = [self.label]
        for view in (self.first, self.repeat):
            cells += [
                f"{statistics.median(view.done):.0f} (max {max(view.done):.0f})",
                f"{statistics.median(view.html):.0f}",
                f"{statistics.median(view.paint):.0f}",
                f"{statistics.median(view.kib):,.0f}",
            ]
        cells.append("pass" if self.passed() else "FAIL")
        return "| " + " | ".join(cells) + " |"


def env(database: Path, assets: str) -> dict[str, str]:
    return os.environ | {
        "RISKREG_DATABASE_URL": f"sqlite:///{database}",
        "RISKREG_SECRET_KEY": "bench-only-secret-key-not-for-production",
        "RISKREG_RATELIMIT_STORAGE_URI": "memory://",
        "RISKREG_ASSETS_DIR": assets,
    }


def flask(database: Path, assets: str, *args: str) -> None:
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env(database, assets),
        check=True,
        capture_output=True,
    )


def prepare() -> tuple[dict[str, Path], Path]:
    """The two databases (made once, kept in bench/data/browser) and a fresh asset build."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    databases = {"demo": FOLDER / "demo.sqlite", "scale": FOLDER / f"scale-{SCALE_RISKS}.sqlite"}
    seeds = {"demo": ["seed", "demo"], "scale": ["seed", "scale", "--risks", str(SCALE_RISKS)]}
    for name, database in databases.items():
        seeded = database.with_suffix(".seeded")
        if not seeded.exists():
            database.unlink(missing_ok=True)
        flask(database, "", "db", "upgrade")  # a kept database gains the migrations added since
        if not seeded.exists():
            flask(database, "", *seeds[name])
            seeded.touch()
    assets = FOLDER / "assets"
    shutil.rmtree(assets, ignore_errors=True)
    flask(databases["demo"], str(assets), "assets", "build")
    return databases, assets


def serve(database: Path, assets: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env(database, assets),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("gunicorn did not start")


def sign_in(database: Path, name: str) -> tuple[str, str]:
    """The demo's executive, or the scale register's risk manager."""
    if name == "scale":
        from run import SCALE_PASSWORD, bench_users  # noqa: PLC0415

        return bench_users(f"sqlite:///{database}")["manager"], SCALE_PASSWORD
    import tomllib

    data = tomllib.loads((ROOT / "seeds" / "demo.toml").read_text())
    return next(u["email"] for u in data["users"] if u["role"] == "executive"), data["password"]


def views(browser, base: str, runs: int, label: str, login: tuple[str, str]) -> Case:
    case = Case(label, View(), View())
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("input[name=email]", login[0])
        page.fill("input[name=password]", login[1])
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for view in (case.first, case.repeat):
            page.goto(base + "/dashboard", wait_until="commit")
            done = page.wait_for_function(FIRST_SCREEN_DRAWN, polling="raf", timeout=60_000).json_value()
            view.add(done, page.evaluate(TIMINGS))
        context.close()
    return case


def run(runs: int = 5) -> str:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "bench"))
    from run import free_port  # noqa: PLC0415

    databases, assets = prepare()
    cases = [
        ("demo", "demo data, built assets", str(assets)),
        ("scale", f"{SCALE_RISKS:,} risks, built assets", str(assets)),
        ("demo", "demo data, no build (Flask)", ""),
    ]
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, label, folder in cases:
                port = free_port()
                server = serve(databases[name], folder, port)
                try:
                    login = sign_in(databases[name], name)
                    rows.append(views(browser, f"http://127.0.0.1:{port}", runs, label, login))
                finally:
                    server.send_signal(signal.SIGTERM)
                    server.wait(30)
        finally:
            browser.close()
    head = (
        "| case | first view ms | first: page ms | first: paint ms | first KiB "
        "| repeat view ms | repeat: page ms | repeat: paint ms | repeat KiB "
        f"| targets {TARGET_FIRST_MS:.0f} / {TARGET_REPEAT_MS:.0f} ms |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    notes = (
        f"\n\nMedians of {runs} runs (a new browser context each). view: navigation to the first screen "
        "drawn (page loaded, every chart in 1280 x 720 drawn); page: the dashboard's HTML received; "
        "paint: first contentful paint; KiB: transferred for the view."
    )
    return "\n".join([head, *(row.line() for row in rows)]) + notes


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
