"""riskreg benchmark: DESIGN.md §5 targets at 1k, 10k and 100k risks, each figure beside its floor.

    .venv/bin/python bench/run.py [--sizes 1000 10000 100000] [--database-url postgresql+psycopg://...]
    .venv/bin/python bench/run.py --import-only [--import-rows 20000] [--database-url ...]

For each size it builds a scratch database with `flask seed scale` (kept in bench/data/ and reused
while its marker matches), serves the app with gunicorn on loopback, signs in, and times pages with
sequential requests. Beside each page it measures the floor: the same SQL statements the page runs,
replayed directly on a database connection. The export is compared with openpyxl's bare write-only
writer writing the same cells. Then an import of 20,000 rows is applied to the 10,000-risk database
beside the same statements replayed bare (bench/imports.py). Results go to stdout and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
SCRATCH_MARKER = "bench_scratch"
SCALE_PASSWORD = "riskreg-scale-2026"
SECRET = "bench-only-secret-key-not-for-production"
# PostgreSQL scratch databases are <prefix>_<size>; a prefix of its own keeps two benchmarks apart.
DB_PREFIX = os.environ.get("RISKREG_BENCH_DB_PREFIX", "riskreg_bench")

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import imports  # noqa: E402
import indicators_bench  # noqa: E402
from measure import RUNS, export_floor, peak_rss_mb, replay_floor, reset_peak, rss_mb  # noqa: E402

PAGE_FILTER: list[str] = []  # --pages
TARGETS_MS = {"register": 100.0, "dashboard": 150.0, "risk": 50.0, "department": 100.0}


@dataclass
class Page:
    name: str
    path: str
    role: str  # "risk_manager", "department_head", or "api" (the risk manager's bearer token)
    target: str | None  # key of TARGETS_MS


@dataclass
class Row:
    size: int
    name: str
    p50: float
    p95: float
    floor_p50: float
    queries: int
    target: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.p50 / self.floor_p50 if self.floor_p50 else float("nan")

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.p95 <= self.target

    @property
    def cost_goal(self) -> tuple[str, float, float] | None:
        """Issue 17 §6's target for this figure, if it has one: (what, limit ms, measured ms)."""
        return cost_goal(self.size, self.name, self.p50, self.p95, self.floor_p50)


# Issue 17 §6, "the cost of one request": at 1,000 risks a page's p50 within 3x the bare SQL it
# runs plus 5 ms; the dashboard's p95 within 50 ms at 100,000 risks and more; and the mixed load's
# single-host throughput at least twice the figures (one host of 4 workers, 100,000 risks).
COST_SIZE = 1_000
DASHBOARD_FLAT_MS, DASHBOARD_FLAT_FROM = 50.0, 100_000
THROUGHPUT_TODAY = {"SQLite": 30.0, "PostgreSQL": 23.0}  # req/s, the "today"
THROUGHPUT_FACTOR = 2.0


def cost_goal(size: int, name: str, p50: float, p95: float, floor: float) -> tuple[str, float, float] | None:
    if size == COST_SIZE:
        return ("p50 ≤ 3x floor + 5", 3 * floor + 5, p50)
    if name == "/dashboard" and size >= DASHBOARD_FLAT_FROM:
        return ("p95 ≤ 50", DASHBOARD_FLAT_MS, p95)
    return None


# ---------------------------------------------------------------------------------------------
# scratch databases


def env_for(url: str) -> dict[str, str]:
    return os.environ | {
        "RISKREG_DATABASE_URL": url,
        "RISKREG_SECRET_KEY": SECRET,
        "RISKREG_RATELIMIT_STORAGE_URI": "memory://",
    }


def flask(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env_for(url),
        capture_output=True,
        text=True,
        check=check,
    )


def read_marker(url: str) -> Any:
    import json

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if "app_settings" not in sa.inspect(conn).get_table_names():
                return None
            row = conn.execute(
                sa.text("SELECT value FROM app_settings WHERE key = :k"), {"k": SCRATCH_MARKER}
            ).first()
            if row is None:
                return None
            value = row[0]
            return json.loads(value) if isinstance(value, str) else value
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def write_marker(url: str, size: int) -> None:
    import json

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO app_settings (key, value) VALUES (:k, :v)"),
            {"k": SCRATCH_MARKER, "v": json.dumps({"size": size})},
        )
    engine.dispose()


# PostgreSQL scratch databases are named <prefix>_<size>; RISKREG_BENCH_DB_PREFIX lets two checkouts
# benchmark on one server without rebuilding each other's databases.
DB_PREFIX = os.environ.get("RISKREG_BENCH_DB_PREFIX", "riskreg_bench")


def scratch_url(base: str | None, size: int) -> str:
    if base is None:
        DATA.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DATA / f'bench-{size}.sqlite'}"
    return base.rstrip("/") + f"/{DB_PREFIX}_{size}"


def create_scratch(base: str | None, url: str, size: int) -> None:
    """A new, empty database that only the benchmark uses."""
    if base is None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import sqlalchemy as sa

    admin = sa.create_engine(base.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = f"{DB_PREFIX}_{size}"
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def ensure_database(
    base: str | None, size: int, rebuild: bool, allow_existing: bool = False
) -> tuple[str, float | None]:
    """The scratch database for `size`, built (or rebuilt) by the benchmark itself."""
    url = scratch_url(base, size)
    marker = read_marker(url)
    if marker is not None and marker.get("size") == size and not rebuild:
        flask(url, "db", "upgrade")  # a reused database gains the migrations added since it was built
        flask(url, "seed", "appetite")  # the categories' appetites, as a company states them
        return url, None
    if marker is None and database_has_tables(url) and not allow_existing:
        raise SystemExit(
            f"{url} holds tables the benchmark did not create: refusing to touch it "
            "(--allow-existing-database drops and rebuilds it)."
        )
    create_scratch(base, url, size)
    started = time.perf_counter()
    flask(url, "db", "upgrade")
    # A million risks with ten audit events each would spend most of its build on history no page
    # reads at that size: one event per risk keeps the build to minutes.
    events = ["--audit-events-per-risk", "1"] if size >= 1_000_000 else []
    flask(url, "seed", "scale", "--risks", str(size), *events)
    # Appetites stated (seeds/appetite.toml), as in any company's register: the dashboard's "Above
    # appetite" and the register's appetite filters then count real escalations.
    flask(url, "seed", "appetite")
    seconds = time.perf_counter() - started
    write_marker(url, size)
    return url, seconds


def database_has_tables(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(sa.inspect(conn).get_table_names())
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# the server and a signed-in client


def answers_health(base: str, seconds: float = 60) -> bool:
    """Whether a server just started at `base` answers /healthz within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(
        self, url: str, workers: int, root: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
                "wsgi:app",
            ],
            cwd=root or ROOT,
            env=env or env_for(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if not answers_health(self.base):
            self.stop()
            raise SystemExit("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Client:
    def __init__(self, base: str, bearer: str | None = None) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        if bearer:  # the API: a personal access token, no session
            self.opener.addheaders = [("Authorization", f"Bearer {bearer}"), ("Accept", "application/json")]

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=600) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, email: str, password: str) -> None:
        _, page = self.get("/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            if "/login" in response.url:
                raise SystemExit(f"could not sign in as {email}")


def timed(client: Client, path: str, runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        status, _ = client.get(path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]


# ---------------------------------------------------------------------------------------------


def bench_users(url: str) -> dict[str, Any]:
    """A risk manager, the head of the department with most controls, and sample ids."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        manager = conn.execute(
            sa.text("SELECT email FROM users WHERE role='risk_manager' ORDER BY id")
        ).scalar()
        head, department = conn.execute(
            sa.text(
                "SELECT u.email, u.department_id FROM users u JOIN controls c ON c.department_id = u.department_id "
                "WHERE u.role='department_head' GROUP BY u.email, u.department_id ORDER BY count(*) DESC"
            )
        ).first()
        # The same shape at every size (a site, controls), so query counts compare like with like.
        middle = conn.execute(
            sa.text(
                "SELECT id FROM risks WHERE site_id IS NOT NULL AND status = 'open' "
                "AND id IN (SELECT risk_id FROM risk_controls) ORDER BY id LIMIT 1 OFFSET :n"
            ),
            {"n": conn.execute(sa.text("SELECT count(*) FROM risks")).scalar() // 4},
        ).scalar()
        site = conn.execute(
            sa.text("SELECT site_id FROM risks WHERE site_id IS NOT NULL ORDER BY id LIMIT 1")
        ).scalar()
    engine.dispose()
    return {"manager": manager, "head": head, "department": department, "risk": middle, "site": site}


def pages(ids: dict[str, Any]) -> list[Page]:
    return [
        Page("/risks", "/risks", "risk_manager", "register"),
        Page(
            "/risks two filters + text",
            f"/risks?site={ids['site']}&direction=to_asm&q=mercury",
            "risk_manager",
            "register",
        ),
        # issue 18's case (376 ms p95 at 100,000 risks when q= scanned): q= now reads the search index
        Page(
            "/risks to ASM, open + text",
            "/risks?direction=to_asm&status=open&q=mercury",
            "risk_manager",
            "register",
        ),
        Page("/search", "/search?q=mercury+spill", "risk_manager", "register"),
        Page("/risks/<id>", f"/risks/{ids['risk']}", "risk_manager", "risk"),
        Page("/controls/mine", "/controls/mine", "department_head", "department"),
        Page(
            "/controls filtered",
            f"/controls?department={ids['department']}&status=in_progress",
            "risk_manager",
            "department",
        ),
        Page("/dashboard", "/dashboard", "risk_manager", "dashboard"),
        Page("/me (risk manager)", "/me", "risk_manager", "register"),
        Page("/me (department head)", "/me", "department_head", "department"),
        Page("GET /api/v1/risks", "/api/v1/risks", "api", "register"),  # a page of 50, as /risks
    ]


def run_size(
    size: int,
    base: str | None,
    runs: int,
    rebuild: bool,
    workers: int,
    allow_existing: bool = False,
    export: bool = True,
) -> tuple[list[Row], dict]:
    url, build_seconds = ensure_database(base, size, rebuild, allow_existing)
    ids = bench_users(url)
    rows: list[Row] = []
    server = Server(url, workers)
    try:
        clients = {"risk_manager": Client(server.base), "department_head": Client(server.base)}
        clients["risk_manager"].login(ids["manager"], SCALE_PASSWORD)
        clients["department_head"].login(ids["head"], SCALE_PASSWORD)
        token = flask(url, "tokens", "create", "--email", ids["manager"], "--name", "bench", "--read-only")
        clients["api"] = Client(server.base, bearer=token.stdout.strip())
        for page in pages(ids):
            if PAGE_FILTER and not any(part in page.name for part in PAGE_FILTER):
                continue
            samples = timed(clients[page.role], page.path, runs)
            email = ids["head"] if page.role == "department_head" else ids["manager"]
            bearer = token.stdout.strip() if page.role == "api" else None
            floor = replay_floor(url, email, page.path, runs, bearer=bearer)
            rows.append(
                Row(
                    size,
                    page.name,
                    statistics.median(samples),
                    p95(samples),
                    floor["p50"],
                    floor["queries"],
                    TARGETS_MS.get(page.target) if page.target else None,
                )
            )
            print(
                f"  {size:>7,} {page.name:<28} p50 {rows[-1].p50:7.1f} ms  p95 {rows[-1].p95:7.1f} ms  "
                f"floor {floor['p50']:6.1f} ms  queries {floor['queries']}",
                flush=True,
            )
    finally:
        server.stop()
    if not export:
        return rows, {"build_seconds": build_seconds}
    export = measure_export(url, ids)
    print(
        f"  {size:>7,} export: {export['seconds']:.1f} s, worker +{export['peak_mb']:.0f} MB; "
        f"bare openpyxl {export['floor_seconds']:.1f} s, {export['floor_peak_mb']:.0f} MB",
        flush=True,
    )
    return rows, export | {"build_seconds": build_seconds}


def measure_export(url: str, ids: dict[str, Any], runs: int = RUNS) -> dict[str, float]:
    """The full export through a one-worker gunicorn, the median of `runs`: the workbook answered
    inline whatever its size (a larger one is a job on the page: bench/export_job.py times that),
    and the memory the export adds to the worker, its high-water mark reset before each run and
    read above its size then."""
    server = Server(url, workers=1, env=env_for(url) | {"RISKREG_EXPORT_INLINE_MAX_RISKS": str(10**9)})
    seconds, above, body = [], [], b""
    try:
        client = Client(server.base)
        client.login(ids["manager"], SCALE_PASSWORD)
        client.get("/risks")  # the worker's imports and caches warm: its baseline is a working worker
        (worker,) = server.worker_pids()
        for _ in range(runs):
            reset_peak(worker)
            baseline = rss_mb(worker)
            started = time.perf_counter()
            status, body = client.get("/export.xlsx")
            seconds.append(time.perf_counter() - started)
            if status != 200 or not body.startswith(b"PK"):
                raise SystemExit(f"/export.xlsx answered {status} without a workbook")
            above.append(peak_rss_mb(worker) - baseline)
    finally:
        server.stop()
    path = DATA / "export.xlsx"
    path.write_bytes(body)
    floor = export_floor(path, runs)
    return {
        "seconds": statistics.median(seconds),
        "peak_mb": statistics.median(above),  # above the worker's baseline
        "bytes": len(body),
        "runs": runs,
        "floor_seconds": floor["seconds"],
        "floor_peak_mb": floor["above_mb"],
        "cells": floor["cells"],
    }


def machine_line() -> str:
    return (
        f"{platform.node() or 'machine'}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def report(all_rows: list[Row], exports: dict[int, dict], label: str) -> str:
    lines = [
        f"### {label}",
        "",
        machine_line(),
        "",
        f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} at the end",
        "",
        "| risks | figure | p50 ms | p95 ms | floor p50 ms | ratio | queries | target p95 | result "
        "| §6 target | §6 limit ms | §6 result |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |",
    ]
    goals = []
    for row in all_rows:
        result = "—" if row.passed is None else ("pass" if row.passed else "FAIL")
        target = f"≤ {row.target:.0f}" if row.target else "—"
        goal = row.cost_goal
        if goal is None:
            cost = "— | — | —"
        else:
            ok = goal[2] <= goal[1]
            goals.append(ok)
            cost = f"{goal[0]} | {goal[1]:.1f} | {'pass' if ok else 'FAIL'}"
        lines.append(
            f"| {row.size:,} | {row.name} | {row.p50:.1f} | {row.p95:.1f} | {row.floor_p50:.1f} | "
            f"{row.ratio:.1f}x | {row.queries} | {target} | {result} | {cost} |"
        )
    if goals:
        lines += [
            "",
            f"Issue 17 §6 page targets: {sum(goals)} of {len(goals)} pass"
            + ("." if all(goals) else " (FAIL)."),
        ]
    if exports:
        lines += [
            "",
            f"Export and bare openpyxl: median of {RUNS} runs each, the same cells; memory: what the "
            "export adds to the worker above its baseline (bare openpyxl's: above its loaded cells).",
            "",
            "| risks | export s | bare openpyxl s | ratio (≤ 2x) | worker MB above baseline (≤ 300) "
            "| bare MB | cells | result |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
    for size, ex in exports.items():
        if "seconds" not in ex:
            continue
        ratio = ex["seconds"] / ex["floor_seconds"] if ex["floor_seconds"] else float("nan")
        ok = ratio <= 2.0 and ex["peak_mb"] <= 300
        lines.append(
            f"| {size:,} | {ex['seconds']:.1f} | {ex['floor_seconds']:.1f} | {ratio:.2f}x | "
            f"{ex['peak_mb']:.0f} | {ex['floor_peak_mb']:.0f} | {ex['cells']:,} | {'pass' if ok else 'FAIL'} |"
        )
    by_page: dict[str, set[int]] = {}
    for row in all_rows:
        by_page.setdefault(row.name, set()).add(row.queries)
    steady = all(len(counts) == 1 for counts in by_page.values())
    lines += [
        "",
        f"Queries per page {'do not grow' if steady else 'GROW'} with the data: "
        + ", ".join(f"{name} {sorted(counts)}" for name, counts in by_page.items()),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server URL without a database name; "
        "the benchmark creates riskreg_bench_<size> databases there",
    )
    parser.add_argument("--runs", type=int, default=40, help="timed requests per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for page timings")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the scratch databases")
    parser.add_argument("--import-only", action="store_true", help="only the import apply benchmark")
    parser.add_argument("--import-rows", type=int, default=20_000, help="rows of the imported file")
    parser.add_argument("--import-runs", type=int, default=5, help="timed applies of the file")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--no-export", action="store_true", help="pages only: skip the full export")
    parser.add_argument("--no-import", action="store_true", help="skip the import apply benchmark")
    parser.add_argument("--label", help="the results' heading (default: the database)")
    parser.add_argument(
        "--pages",
        nargs="+",
        help="only the pages whose name contains one of these (no export, import or indicators); "
        "their own section of bench/RESULTS.md",
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="only the mixed load (bench/load.py) on the largest of --sizes (default 100,000)",
    )
    parser.add_argument(
        "--indicators",
        choices=("with", "skip", "only"),
        default="with",
        help="the observation benchmark (50 indicators, 500 linked risks): with the pages, skip it, or only it",
    )
    parser.add_argument(
        "--allow-existing-database",
        action="store_true",
        help="drop and rebuild a riskreg_bench_<size> database that the benchmark did not create",
    )
    parser.add_argument(
        "--browser", action="store_true", help="only the dashboard's first and repeat view in Chromium"
    )
    parser.add_argument("--browser-runs", type=int, default=5, help="runs per case of --browser (medians)")
    parser.add_argument(
        "--cost",
        action="store_true",
        help="only issue 17 §6's targets: every page at 1,000 risks against its floor, the dashboard at "
        "--dashboard-sizes, and the single-host mixed load against the issue's throughput",
    )
    parser.add_argument("--dashboard-sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--load-size", type=int, default=100_000, help="--cost: the mixed load's register")
    parser.add_argument("--load-clients", type=int, default=32, help="--cost: the mixed load's clients")
    parser.add_argument("--load-seconds", type=float, default=60, help="--cost: the mixed load's length")
    parser.add_argument("--no-load", action="store_true", help="--cost: pages only, no mixed load")
    args = parser.parse_args()
    if args.browser:
        import browser

        heading = "Browser: the dashboard's first and repeat view"
        text = f"### {heading}\n\n{machine_line()}, load average {os.getloadavg()[0]:.1f}\n\n{browser.run(args.browser_runs)}\n"
        print("\n" + text)
        if not args.no_write:
            write_results(heading, text)
        return
    if args.database_url and not args.database_url.startswith("postgresql"):
        raise SystemExit(
            "--database-url takes a PostgreSQL server URL, e.g. postgresql+psycopg://user@host:5432"
        )
    PAGE_FILTER[:] = args.pages or []
    if args.cost:
        run_cost(args)
        return
    if args.load:
        size = max(args.sizes) if args.sizes != [1_000, 10_000, 100_000] else 100_000
        command = [PYTHON, str(ROOT / "bench" / "load.py"), "--size", str(size)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        raise SystemExit(subprocess.run(command, cwd=ROOT, check=False).returncode)
    label = args.label or ("PostgreSQL" if args.database_url else "SQLite")
    if not args.import_only and args.indicators != "only":
        all_rows: list[Row] = []
        exports: dict[int, dict] = {}
        for size in args.sizes:
            print(f"== {label}, {size:,} risks", flush=True)
            rows, export = run_size_of(args, size, export=not (args.no_export or args.pages))
            all_rows += rows
            if export:
                exports[size] = export
        heading = f"{label}, pages: {', '.join(args.pages)}" if args.pages else label
        text = report(all_rows, exports, heading)
        print("\n" + text)
        if not args.no_write:
            write_results(heading, text)
        if args.pages:
            return
    if args.indicators != "only" and not args.no_import:
        print(f"== {label}, import apply of {args.import_rows:,} rows", flush=True)
        url, _ = ensure_database(
            args.database_url,
            imports.REGISTER_SIZE,
            args.rebuild and args.import_only,
            args.allow_existing_database,
        )
        text = imports.report(
            imports.run_import(url, args.import_rows, args.import_runs), label, machine_line()
        )
        print("\n" + text)
        if not args.no_write:
            write_results(f"Import apply, {label}", text)
    if args.indicators != "skip" and not args.import_only:
        heading = f"{label}: recording an observation"
        text = run_indicators(args.database_url, args.runs, heading, args.allow_existing_database)
        print("\n" + text)
        if not args.no_write:
            write_results(heading, text)


def run_size_of(args: argparse.Namespace, size: int, export: bool) -> tuple[list[Row], dict]:
    """run_size with the command line's database, runs, rebuild, workers and permissions."""
    return run_size(
        size, args.database_url, args.runs, args.rebuild, args.workers, args.allow_existing_database, export
    )


def run_cost(args: argparse.Namespace) -> None:
    """Issue 17 §6 in one run, each target printed with pass or FAIL."""
    label = args.label or ("PostgreSQL" if args.database_url else "SQLite")
    plan = [(COST_SIZE, [])] + [(size, ["/dashboard"]) for size in args.dashboard_sizes]
    rows: list[Row] = []
    builds = {}
    for size, only in plan:
        PAGE_FILTER[:] = only
        print(f"== {label}, {size:,} risks{' (' + ', '.join(only) + ')' if only else ''}", flush=True)
        size_rows, info = run_size_of(args, size, export=False)
        rows += size_rows
        if info.get("build_seconds") is not None:
            builds[size] = info["build_seconds"]
    text = report(rows, {}, f"Issue 17 §6, {label}")
    if builds:
        text += (
            "Seeded here: " + ", ".join(f"{size:,} risks in {s:.0f} s" for size, s in builds.items()) + "\n"
        )
    if not args.no_load:
        text += "\n" + cost_load(args, label) + "\n"
    print("\n" + text)
    if not args.no_write:
        write_results(f"Issue 17 §6, {label}", text)


def cost_load(args: argparse.Namespace, label: str) -> str:
    """The mixed load on one host (bench/load.py), against twice the issue's figure."""
    command = [PYTHON, str(ROOT / "bench" / "load.py"), "--size", str(args.load_size), "--hosts", "1"]
    command += ["--clients", str(args.load_clients), "--seconds", str(args.load_seconds), "--no-write"]
    if args.database_url:
        command += ["--database-url", args.database_url]
    print(f"== {label}, mixed load: {' '.join(command[1:])}", flush=True)
    done = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True)
    print(done.stdout[-3000:], done.stderr[-2000:], flush=True)
    found = re.search(r"1 host\(s\) x \d+,\s+\d+ clients:\s+([\d.]+) req/s.*errors (\d+)", done.stdout)
    today = THROUGHPUT_TODAY[label if label in THROUGHPUT_TODAY else "SQLite"]
    goal = THROUGHPUT_FACTOR * today
    if found is None:
        return f"Mixed load, one host: no result (load.py exited {done.returncode}): FAIL"
    rate, errors = float(found.group(1)), int(found.group(2))
    ok = rate >= goal and errors == 0
    return (
        "| mixed load | risks | clients | req/s | issue's today | target (2x) | errors | result |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
        f"| one host x 4 workers | {args.load_size:,} | {args.load_clients} | {rate:.1f} | {today:.0f} | "
        f"{goal:.0f} | {errors} | {'pass' if ok else 'FAIL'} |\n"
    )


def run_indicators(base: str | None, runs: int, label: str, allow_existing: bool) -> str:
    """A scratch database of its own, rebuilt each time (a few seconds), then the two cases."""
    url = scratch_url(base, "indicators")  # type: ignore[arg-type]
    if read_marker(url) is None and database_has_tables(url) and not allow_existing:
        raise SystemExit(f"{url} holds tables the benchmark did not create: refusing to touch it.")
    create_scratch(base, url, "indicators")  # type: ignore[arg-type]
    flask(url, "db", "upgrade")
    write_marker(url, "indicators")  # type: ignore[arg-type]
    print("== indicators: building", flush=True)
    indicators_bench.build(url)
    rows = indicators_bench.measure(url, runs)
    for row in rows:
        print(
            f"  {row['case']:<8} p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms  floor {row['floor_p50']:5.1f} ms"
        )
    machine = f"{platform.node() or 'machine'}: {os.cpu_count()} cores, Python {platform.python_version()}"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"### {label}\n\n{machine}, {when}\n\n" + indicators_bench.table(rows) + "\n"


def write_results(label: str, text: str) -> None:
    """Replace this database's section of bench/RESULTS.md, keeping the other one."""
    current = RESULTS.read_text() if RESULTS.exists() else "# riskreg benchmark results\n\n"
    sections = re.split(r"(?m)^(?=### )", current)
    head, body = sections[0], [s for s in sections[1:] if not s.startswith(f"### {label}\n")]
    RESULTS.write_text(
        head + "".join(sorted(body + [text + "\n"], key=lambda s: s.split("\n")[0], reverse=True))
    )


if __name__ == "__main__":
    main()
