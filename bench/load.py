"""The mixed load of DESIGN.md's scale-out section: N concurrent clients against gunicorn hosts.

    .venv/bin/python bench/load.py [--size 100000] [--database-url postgresql+psycopg://...]
        [--hosts 1 2] [--workers 4] [--clients 8 32 128] [--seconds 60] [--app-root DIR]
        [--export-clients 8 | --no-export] [--out FILE] [--no-write]

Each step starts the hosts afresh (gunicorn, `--workers` each, on loopback ports; two hosts share
the database and Redis, and the clients take turns over their ports as a round-robin balancer
would), then runs `clients` threads for `seconds`: 70% the register with filters, 20% risk pages,
10% the dashboard, and one request in 21 (one edit per 20 reads, counted over all clients) saves an edit
of one of the client's own risks
(through the edit form, CSRF token and version included). Every answer other than a 200 (a 302
after a save) is an error. Clients are bounded (at most 128) and only ever talk to 127.0.0.1.

`--app-root` serves another checkout of riskreg (e.g. the code before a change) against the same
database, to measure before and after on the same data.

After the steps of each host count, one more step runs the same load with the export of the whole
register as a background job (issue 17 §5): started through the web page as a user would, run by a
`flask jobs worker` beside the hosts (the queue on Redis with PostgreSQL, on Huey's SQLite file
without), the load going on until the file is downloaded. Its table compares the pages' p95 during
the export with the step of the same clients without it (target: within 2x), with the export's
time to the file. `--export-clients` picks the clients of that step (default: the fewest asked);
`--no-export` skips it. Every step runs with the same queue settings, so they compare.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import export_job  # noqa: E402
import run  # noqa: E402

MAX_CLIENTS = 128
EDIT_EVERY = 20  # reads per edit
REDIS_URL = os.environ.get("RISKREG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
EXPORT_TIMEOUT = 1800  # seconds the export step may last before it is given up (bounded)
DIRECTIONS = ("to_asm", "to_company", "to_communities")
STATUSES = ("open", "draft", "closed")
BANDS = ("low", "medium", "high", "extreme")
SORTS = ("-residual", "ref", "title", "-updated", "review")


@dataclass
class Sample:
    kind: str
    ms: float
    ok: bool
    at: float = 0.0  # time.monotonic() when the request started


@dataclass
class Step:
    hosts: int
    clients: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    issued: int = 0  # requests started, for the edit schedule
    errors: list[str] = field(default_factory=list)
    export: export_job.ExportRun | None = None  # the background export that ran beside it

    def page_times(self, start: float = float("-inf"), end: float = float("inf")) -> list[float]:
        """The reads (every page but the edits) that started between `start` and `end`."""
        return sorted(s.ms for s in self.samples if s.ok and s.kind != "edit" and start <= s.at <= end)

    def times(self, kind: str | None = None) -> list[float]:
        return sorted(s.ms for s in self.samples if s.ok and (kind is None or s.kind == kind))

    @property
    def throughput(self) -> float:
        return sum(1 for s in self.samples if s.ok) / self.seconds


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# ---------------------------------------------------------------------------------------------
# HTTP on loopback, one connection per request (gunicorn's sync workers do not keep connections)


class Http:
    def __init__(self, ports: list[int], cookie: str) -> None:
        self.ports, self.cookie, self.turn = ports, cookie, 0

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.turn += 1
        port = self.ports[self.turn % len(self.ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def sign_in(port: int, email: str) -> str:
    """The session cookie of a signed-in risk manager (the same secret key on every host)."""
    client = run.Client(f"http://127.0.0.1:{port}")
    client.login(email, run.SCALE_PASSWORD)
    jar = next(h for h in client.opener.handlers if hasattr(h, "cookiejar")).cookiejar
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class FormFields(HTMLParser):
    """The fields of the edit form as a browser would post them (selected options, checked boxes)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""
        self.in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post" and "/edit" in a.get("action", "/edit"):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text))
            self.textarea = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data


def edit_risk(http: Http, risk_id: int) -> tuple[int, str]:
    """Save the edit form with the title's trailing marker toggled; 302 is success."""
    status, page = http.request("GET", f"/risks/{risk_id}/edit")
    if status != 200:
        return status, f"GET edit {risk_id}: {status}"
    parser = FormFields()
    parser.feed(page.decode())
    fields = [
        (name, (value[:-2] if value.endswith(" ·") else value + " ·") if name == "title" else value)
        for name, value in parser.fields
    ]
    status, body = http.request("POST", f"/risks/{risk_id}/edit", urllib.parse.urlencode(fields).encode())
    if status != 302:
        found = re.findall(rb'class="[^"]*error[^"]*"[^>]*>([^<]{0,200})', body)
        return status, f"POST edit {risk_id}: {status} {found[:2]}"
    return status, ""


# ---------------------------------------------------------------------------------------------


def read_path(rnd: random.Random, ids: dict[str, Any]) -> tuple[str, str]:
    roll = rnd.random()
    if roll < 0.7:
        args: dict[str, Any] = {}
        for name, values, chance in (
            ("site", ids["sites"], 0.5),
            ("direction", DIRECTIONS, 0.4),
            ("status", STATUSES, 0.4),
            ("category", ids["categories"], 0.3),
            ("band", BANDS, 0.3),
            ("sort", SORTS, 0.3),
        ):
            if rnd.random() < chance:
                args[name] = rnd.choice(values)
        if rnd.random() < 0.2:
            args["page"] = rnd.randint(2, 5)
        if not args:
            args["site"] = rnd.choice(ids["sites"])
        return "register", "/risks?" + urllib.parse.urlencode(args)
    if roll < 0.9:
        return "risk", f"/risks/{rnd.choice(ids['risks'])}"
    if rnd.random() < 0.5:
        return "dashboard", "/dashboard"
    return "dashboard", f"/dashboard?site={rnd.choice(ids['sites'])}"


def client_loop(
    n: int,
    http: Http,
    ids: dict[str, Any],
    own: list[int],
    stop: threading.Event,
    step: Step,
    lock: threading.Lock,
) -> None:
    rnd = random.Random(n)
    reads, edits = 0, 0
    while not stop.is_set():
        with lock:  # one edit per EDIT_EVERY requests of all clients together, by whoever comes
            step.issued += 1
            edit_now = step.issued % (EDIT_EVERY + 1) == 0
        if edit_now and own:
            edits += 1
            kind, started, at = "edit", time.perf_counter(), time.monotonic()
            try:
                status, problem = edit_risk(http, own[edits % len(own)])
            except OSError as error:
                status, problem = 0, f"edit: {error}"
            ok = status == 302
        else:
            kind, path = read_path(rnd, ids)
            started, at = time.perf_counter(), time.monotonic()
            try:
                status, _ = http.request("GET", path)
            except OSError as error:
                status, _ = 0, str(error).encode()
            ok, problem = status == 200, f"GET {path}: {status}"
            reads += 1
        sample = Sample(kind, (time.perf_counter() - started) * 1000, ok, at)
        with lock:
            step.samples.append(sample)
            if not ok:
                step.errors.append(problem)


def sample_ids(url: str, clients: int) -> dict[str, Any]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        manager = conn.execute(
            sa.text("SELECT email FROM users WHERE role='risk_manager' ORDER BY id")
        ).scalar()
        sites = [r[0] for r in conn.execute(sa.text("SELECT id FROM sites ORDER BY id"))]
        categories = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT category FROM risks LIMIT 20"))]
        risks = [r[0] for r in conn.execute(sa.text("SELECT id FROM risks WHERE status='open' ORDER BY id"))]
    engine.dispose()
    rnd = random.Random(2026)
    pool = rnd.sample(risks, min(len(risks), MAX_CLIENTS * 8))
    return {
        "manager": manager,
        "sites": sites,
        "categories": categories,
        "risks": rnd.sample(risks, min(len(risks), 5000)),
        "editable": [pool[k::MAX_CLIENTS] for k in range(MAX_CLIENTS)],  # disjoint: no edit conflicts
    }


def host_env(url: str, hosts: int) -> dict[str, str]:
    """The same for every host, the jobs worker and every step: the database, the job queue (Redis
    with PostgreSQL, else Huey's SQLite file) and the job outputs' folder."""
    postgres = url.startswith("postgresql")
    env = export_job.queue_env(url, REDIS_URL if postgres else None, "load")
    env["RISKREG_RATELIMIT_STORAGE_URI"] = "memory://"
    if hosts > 1:  # several hosts: rate limits (and the queue) counted in one place
        env["RISKREG_RATELIMIT_STORAGE_URI"] = REDIS_URL
        env["RISKREG_REDIS_URL"] = REDIS_URL
    return env


def run_step(
    url: str,
    ids: dict[str, Any],
    hosts: int,
    workers: int,
    clients: int,
    seconds: float,
    root: Path,
    export: bool = False,
) -> Step:
    """`clients` for `seconds`; with `export`, the background export of the whole register runs
    beside them (started once the clients are going) and the step lasts until its file is in."""
    clients = min(clients, MAX_CLIENTS)
    env = host_env(url, hosts)
    servers = [run.Server(url, workers, root, env) for _ in range(hosts)]
    worker = export_job.JobWorker(env, root, "load") if export else None
    try:
        ports = [s.port for s in servers]
        cookie = sign_in(ports[0], ids["manager"])
        warm = Http(ports, cookie)
        for path in ("/risks", "/dashboard", f"/risks/{ids['risks'][0]}") * (workers * hosts):
            warm.request("GET", path)
        step, lock, stop = Step(hosts, clients, seconds), threading.Lock(), threading.Event()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(n, Http(ports, cookie), ids, ids["editable"][n], stop, step, lock),
                daemon=True,
            )
            for n in range(clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        if export:
            step.export = start_export_job(ports, ids["manager"], url)
        time.sleep(seconds)
        if step.export is not None:
            step.export.downloaded.wait(EXPORT_TIMEOUT)
        stop.set()
        for thread in threads:
            thread.join()
        step.seconds = time.monotonic() - started  # the last answers arrive after the stop
        if step.export is not None:
            step.export.join(EXPORT_TIMEOUT)  # its file's rows counted, the load stopped
        return step
    finally:
        if worker is not None:
            worker.stop()
        for server in servers:
            server.stop()


def start_export_job(ports: list[int], email: str, url: str) -> export_job.ExportRun:
    """Issue 17 §5: the export of the whole register, started through the web page (on the first
    host, as a user's browser would be), run by the jobs worker while the load runs."""
    export = export_job.ExportRun(f"http://127.0.0.1:{ports[0]}", email, url)
    export.start()
    export.asked.wait(120)
    return export


def load_line() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(steps: list[Step], label: str, size: int, workers: int, note: str) -> str:
    lines = [
        f"### Mixed load, {label}",
        "",
        f"{run.machine_line()}; {size:,} risks; {workers} sync workers per host; {note}",
        "",
        "70% register with filters, 20% risk pages, 10% dashboard, one edit per 20 reads; "
        "every answer checked (200, or 302 after a save). A step marked + export ran beside the "
        "background export of the whole register, until its file was downloaded.",
        "",
        "| hosts | clients | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | edits | edit p95 ms | errors |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for step in steps:
        times, edits = step.times(), step.times("edit")
        clients = f"{step.clients} + export" if step.export is not None else str(step.clients)
        lines.append(
            f"| {step.hosts} | {clients} | {step.seconds:.0f} | {len(step.samples):,} | "
            f"{step.throughput:.1f} | {percentile(times, 50):.0f} | {percentile(times, 95):.0f} | "
            f"{percentile(times, 99):.0f} | {len(edits)} | {percentile(edits, 95):.0f} | {len(step.errors)} |"
        )
    exports = [step for step in steps if step.export is not None]
    if exports:
        lines += [
            "",
            "Pages during the export: the p95 of the reads started while the job ran (from its POST "
            "to its end) against the p95 of the reads of the step with the same clients and no export.",
            "",
            "| hosts | clients | export to the file s | Register rows (expected) | page p95 unloaded ms | "
            "page p95 during ms | ratio (≤ 2x) | reads during | errors | result |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for step in exports:
            lines.append(export_line(step, steps))
    return "\n".join(lines) + "\n"


def export_line(step: Step, steps: list[Step]) -> str:
    export = step.export
    assert export is not None
    base = next(
        (s for s in steps if s.export is None and (s.hosts, s.clients) == (step.hosts, step.clients)), None
    )
    unloaded = percentile(base.page_times(), 95) if base else float("nan")
    during = step.page_times(export.started, export.ended)
    p95 = percentile(during, 95)
    trace = export.trace
    if export.error or trace is None:
        return f"| {step.hosts} | {step.clients} | failed: {export.error} | | | | | | {len(step.errors)} | FAIL |"
    seconds = trace.seconds + trace.download_seconds
    ratio = p95 / unloaded if unloaded else float("nan")
    passed = ratio <= 2 and not step.errors and trace.register_rows == trace.expected_rows
    return (
        f"| {step.hosts} | {step.clients} | {seconds:.1f} | {trace.register_rows:,} ({trace.expected_rows:,}) | "
        f"{unloaded:.0f} | {p95:.0f} | {ratio:.2f}x | {len(during):,} | {len(step.errors)} | "
        f"{'pass' if passed else 'FAIL'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL server URL without a database name")
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2], choices=(1, 2))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the riskreg checkout the hosts serve")
    parser.add_argument("--label", help="the heading of the results (default: the database)")
    parser.add_argument(
        "--export-clients", type=int, help="clients of the step beside the export (default: the fewest)"
    )
    parser.add_argument("--no-export", action="store_true", help="no step beside the background export")
    parser.add_argument("--out", type=Path, help="also append the tables to this file")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()
    if any(c < 1 or c > MAX_CLIENTS for c in args.clients):
        raise SystemExit(f"--clients takes 1 to {MAX_CLIENTS}")
    database = "PostgreSQL" if args.database_url else "SQLite"
    url, _ = run.ensure_database(args.database_url, args.size, rebuild=False)
    ids = sample_ids(url, max(args.clients))
    before = load_line()
    steps = []
    export_clients = args.export_clients or min(args.clients)
    if not args.no_export and export_clients not in args.clients:
        raise SystemExit("--export-clients must be one of --clients (its step is the unloaded value)")
    for hosts in args.hosts:
        plan = [(clients, False) for clients in args.clients]
        if not args.no_export:
            plan.append((export_clients, True))
        for clients, export in plan:
            step = run_step(
                url, ids, hosts, args.workers, clients, args.seconds, args.app_root.resolve(), export
            )
            steps.append(step)
            times = step.times()
            print(
                f"  {hosts} host(s) x {args.workers}, {clients:>3} clients{' + export' if export else ''}: "
                f"{step.throughput:6.1f} req/s  p50 {percentile(times, 50):6.0f}  "
                f"p95 {percentile(times, 95):6.0f}  p99 {percentile(times, 99):6.0f} ms  "
                f"errors {len(step.errors)}",
                flush=True,
            )
            if export:
                print("    " + export_line(step, steps), flush=True)
            for problem in step.errors[:5]:
                print("    ", problem, flush=True)
    note = f"load average {before} before, {load_line()} after"
    if args.app_root.resolve() != ROOT:
        note += f"; serving {args.app_root}"
    text = table(steps, args.label or database, args.size, args.workers, note)
    print("\n" + text)
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n" + text)
    if not args.no_write:
        run.write_results(f"Mixed load, {args.label or database}", text)


if __name__ == "__main__":
    main()
