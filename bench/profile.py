"""Where one request spends its time: pyinstrument over a page served in-process, with its SQL.

    .venv/bin/python bench/profile.py sqlite:///bench/data/bench-1000.sqlite [/risks /dashboard ...]
        [--email someone@example.com] [--runs 20] [--html DIR]

Signs in as the database's first risk manager (the scale seed's password), warms each page up,
then profiles `--runs` GETs of it and prints the call tree (or writes it as HTML), with the
statements the page ran and its mean wall time.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyinstrument import Profiler

ROOT = Path(__file__).resolve().parent.parent
if "--app-root" in sys.argv:  # another checkout (e.g. before a change), imported instead of this one
    ROOT = Path(sys.argv[sys.argv.index("--app-root") + 1]).resolve()
sys.path.insert(0, str(ROOT))  # that checkout's riskreg, not an installed one

SCALE_PASSWORD = "riskreg-scale-2026"  # noqa: S105 (the synthetic accounts of `flask seed scale`)
DEFAULT_PATHS = ("/risks", "/risks/{risk}", "/controls/mine", "/dashboard", "/sites/{site}")


def sample_ids(url: str) -> dict[str, Any]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ids = {
            "manager": conn.execute(
                sa.text("SELECT email FROM users WHERE role='risk_manager' ORDER BY id")
            ).scalar(),
            "risk": conn.execute(
                sa.text("SELECT min(id) FROM risks WHERE site_id IS NOT NULL AND status='open'")
            ).scalar(),
            "site": conn.execute(sa.text("SELECT min(site_id) FROM risks")).scalar(),
        }
    engine.dispose()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--email")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--html", type=Path, help="write one HTML profile per page into this folder")
    parser.add_argument("--app-root", type=Path, help="profile the riskreg of another checkout")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="no profile: this process's CPU ms per request (p50), robust to load",
    )
    args = parser.parse_args()

    from riskreg import create_app
    from riskreg.extensions import db

    ids = sample_ids(args.url)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    )
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    email = args.email or ids["manager"]
    if client.post("/login", data={"email": email, "password": SCALE_PASSWORD}).status_code != 302:
        raise SystemExit(f"could not sign in as {email}")
    headers: dict[str, str] = {}
    if any(p.startswith("/api/") for p in args.paths):  # the API: a read-only personal access token
        made = app.test_cli_runner().invoke(
            args=["tokens", "create", "--email", email, "--name", "profile", "--read-only"]
        )
        headers = {
            "Authorization": f"Bearer {made.output.strip().splitlines()[-1]}",
            "Accept": "application/json",
        }
    for template in args.paths or DEFAULT_PATHS:
        path = template.format(**ids)
        get = functools.partial(client.get, headers=headers if path.startswith("/api/") else {})
        for _ in range(3):
            status = get(path).status_code
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        statements.clear()
        get(path)
        count = len(statements)
        if args.cpu:
            cpu, wall = [], []
            for _ in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                get(path)
                cpu.append((time.process_time() - started_cpu) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
            cpu.sort(), wall.sort()
            print(
                f"{template:<24} cpu p50 {cpu[len(cpu) // 2]:6.1f} ms  min {cpu[0]:6.1f} ms  "
                f"wall p50 {wall[len(wall) // 2]:6.1f} ms  "
                f"{count} statements",
                flush=True,
            )
            continue
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.runs):
                get(path)
        mean_ms = (time.perf_counter() - started) * 1000 / args.runs
        print(f"\n===== {path}: {mean_ms:.1f} ms per request, {count} statements")
        if args.html:
            args.html.mkdir(parents=True, exist_ok=True)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "root"
            (args.html / f"{name}.html").write_text(profiler.output_html())
        else:
            print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
