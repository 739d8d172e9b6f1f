"""Browser benchmark: the dashboard's first and repeat view in Chromium, assets built or not.

    .venv/bin/python bench/run.py --browser      (or: make bench BENCH_ARGS=--browser)

A scratch SQLite database with the demo data is served by gunicorn on loopback twice: once with
`flask assets build` output (WhiteNoise: Brotli, a year of caching) and once without (Flask serves
the raw files). For each, in a new browser context (empty cache) the executive signs in and opens
the dashboard ("first view": Plotly's bundle is fetched), then opens it again ("repeat view": from
the cache). A view ends when every chart on the page has been drawn. Median of --browser-runs.
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
from dataclasses import dataclass
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
ALL_DRAWN = (
    "() => { const f = document.querySelectorAll('[data-figure]');"
    " return f.length > 0 && [...f].every(e => e.getAttribute('data-drawn') === 'true'); }"
)


@dataclass
class Views:
    label: str
    first: list[float]
    repeat: list[float]
    transferred_kib: float

    def line(self) -> str:
        first, repeat = statistics.median(self.first), statistics.median(self.repeat)
        verdict = "pass" if first <= TARGET_FIRST_MS and repeat <= TARGET_REPEAT_MS else "FAIL"
        return (
            f"| {self.label} | {first:.0f} | {max(self.first):.0f} | {repeat:.0f} | {max(self.repeat):.0f} "
            f"| {self.transferred_kib:,.0f} | {verdict} |"
        )


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


def prepare() -> tuple[Path, Path]:
    """A demo database and an asset build, made once and kept in bench/data/browser."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    database, assets = FOLDER / "demo.sqlite", FOLDER / "assets"
    if not database.exists():
        flask(database, "", "db", "upgrade")
        flask(database, "", "seed", "demo")
    shutil.rmtree(assets, ignore_errors=True)
    flask(database, str(assets), "assets", "build")
    return database, assets


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


def executive() -> tuple[str, str]:
    import tomllib

    data = tomllib.loads((ROOT / "seeds" / "demo.toml").read_text())
    return next(u["email"] for u in data["users"] if u["role"] == "executive"), data["password"]


def views(browser, base: str, runs: int, label: str) -> Views:
    email, password = executive()
    first, repeat, transferred = [], [], []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        sizes: list[int] = []

        def count(response, sizes: list[int] = sizes) -> None:
            sizes.append(int(response.headers.get("content-length") or 0))

        page.on("response", count)
        page.goto(base + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for samples in (first, repeat):
            sizes.clear()
            started = time.perf_counter()
            page.goto(base + "/dashboard")
            page.wait_for_function(ALL_DRAWN, timeout=60_000)
            samples.append((time.perf_counter() - started) * 1000)
            if samples is first:
                transferred.append(sum(sizes) / 1024)
        context.close()
    return Views(label, first, repeat, statistics.median(transferred))


def run(runs: int = 5) -> str:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "bench"))
    from run import free_port  # noqa: PLC0415

    database, assets = prepare()
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, folder in (
                ("built assets (WhiteNoise, Brotli)", str(assets)),
                ("no build (Flask)", ""),
            ):
                port = free_port()
                server = serve(database, folder, port)
                try:
                    rows.append(views(browser, f"http://127.0.0.1:{port}", runs, label))
                finally:
                    server.send_signal(signal.SIGTERM)
                    server.wait(30)
        finally:
            browser.close()
    head = (
        "| assets | first view p50 ms | first max | repeat view p50 ms | repeat max | first view KiB "
        f"| targets {TARGET_FIRST_MS:.0f} / {TARGET_REPEAT_MS:.0f} ms |\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    return "\n".join([head, *(row.line() for row in rows)])


if __name__ == "__main__":
    print(run())
