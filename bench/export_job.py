"""The background export as a user runs it: queued from the web page, run by `flask jobs worker`,
followed through the status endpoint the page's polling script reads, then downloaded and opened.

    .venv/bin/python bench/export_job.py [--size 100000] [--database-url postgresql+psycopg://...]
        [--redis-url redis://127.0.0.1:6379/10] [--poll 0.1] [--no-write]

The default is the embedded one, as `make run` serves it: SQLite, Huey's SQLite queue, one
`flask run` and one `flask jobs worker` beside it (queue file and job outputs in bench/data/, never
the checkout's instance folder). The script signs in, GETs /export.xlsx (over the inline limit it
answers the "export in the background" page), posts its form as the button does, then polls
/jobs/<id>/status every `--poll` seconds (ten times as often as the page) and records every change
of the progress value: the longest stretch without one, and in which phase, says whether the bar
moves at least every second. The file is then downloaded and opened with openpyxl (read-only) and
its Register sheet's rows counted. bench/load.py uses the same pieces to run the export while its
load runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402

REGISTER = "Register"


def queue_env(url: str, redis_url: str | None, tag: str) -> dict[str, str]:
    """What a host and its worker share: the database, the queue, the job outputs' folder.
    The worker's schedule (reminders, refresh, mail) is off: only the export is measured."""
    env = run.env_for(url) | {
        "RISKREG_UPLOAD_DIR": str(run.DATA / f"uploads-{tag}"),
        "RISKREG_JOBS_SCHEDULE": "0",
    }
    if redis_url:
        env["RISKREG_REDIS_URL"] = redis_url
        env["RISKREG_RATELIMIT_STORAGE_URI"] = redis_url
    else:
        env["RISKREG_JOBS_QUEUE_FILE"] = str(run.DATA / f"jobs-queue-{tag}.sqlite")
    return env


class JobWorker:
    """`flask jobs worker`, as `make run` starts it beside the web server."""

    def __init__(self, env: dict[str, str], root: Path = ROOT, tag: str = "export") -> None:
        self.log = (run.DATA / f"jobs-worker-{tag}.log").open("w")  # its log, for when a job fails
        self.process = subprocess.Popen(
            [str(run.BIN / "flask"), "--app", "wsgi", "jobs", "worker", "--workers", "1"],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Huey finishes the running task first
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class DevServer:
    """`flask run` on loopback, as `make run` serves the embedded default."""

    def __init__(self, env: dict[str, str], root: Path = ROOT) -> None:
        self.port = run.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(run.BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not run.answers_health(self.base):
            self.stop()
            raise SystemExit("flask run did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Change:
    at: float  # seconds since the job was asked for
    done: int
    total: int | None
    message: str


@dataclass
class Trace:
    job_id: int
    asked: float  # time.monotonic() of the POST
    changes: list[Change] = field(default_factory=list)  # every new progress value (or phase)
    polls: int = 0
    state: str = "queued"
    message: str = ""
    finished_at: float = float("nan")  # seconds since asked, when the status first said finished
    running_at: float = float("nan")  # ... when it first said running
    file_bytes: int = 0
    register_rows: int = -1
    expected_rows: int = -1  # the risks the export should hold (archived ones are not exported)
    download_seconds: float = float("nan")

    @property
    def seconds(self) -> float:
        return self.finished_at

    def longest_still(self) -> tuple[float, str]:
        """The longest stretch, while running, in which the progress value did not change, and
        the phases (the job's messages) it spanned."""
        moves = [c for c in self.changes if c.at >= self.running_at]
        marks = [self.running_at]
        last_done = None
        for change in moves:
            if change.done != last_done:
                marks.append(change.at)
                last_done = change.done
        marks.append(self.finished_at)
        gap, start = max(
            ((end - begin, begin) for begin, end in zip(marks, marks[1:], strict=False)), default=(0.0, 0.0)
        )
        spanned = [c.message for c in self.changes if start <= c.at < start + gap or c.at == start]
        before = [c.message for c in self.changes if c.at <= start]
        names = list(dict.fromkeys(([before[-1]] if before else []) + spanned))
        return gap, " → ".join(names)

    def value_changes(self) -> int:
        values = [c.done for c in self.changes]
        return sum(1 for a, b in zip(values, values[1:], strict=False) if a != b)

    def phases(self) -> list[tuple[str, float]]:
        """Each phase (message) with the seconds it lasted."""
        out: list[tuple[str, float]] = []
        for change, after in zip(self.changes, [*self.changes[1:], None], strict=False):
            end = after.at if after else self.finished_at
            if out and out[-1][0] == change.message:
                out[-1] = (change.message, out[-1][1] + end - change.at)
            else:
                out.append((change.message, end - change.at))
        return out


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1).decode()


def start_export(client: run.Client, query: str = "") -> tuple[int, float]:
    """As a user does: GET /export.xlsx, then the page's "Start the export" button. The job's id
    (from the page it redirects to) and when it was asked."""
    status, page = client.get("/export.xlsx" + (f"?{query}" if query else ""))
    if status != 200 or b'name="query"' not in page:
        raise SystemExit(
            f"/export.xlsx did not offer the background export ({status}): is the register small?"
        )
    fields = {"csrf_token": csrf_of(page), "query": query}
    asked = time.monotonic()
    data = urllib.parse.urlencode(fields).encode()
    with client.opener.open(client.base + "/export.xlsx", data=data, timeout=60) as response:
        found = re.search(r"/jobs/(\d+)$", urllib.parse.urlsplit(response.url).path)
        if not found:
            raise SystemExit(f"starting the export led to {response.url}, not a job's page")
        return int(found.group(1)), asked


def follow(client: run.Client, job_id: int, asked: float, poll: float = 0.1, timeout: float = 3600) -> Trace:
    """Poll the status endpoint until the job ends, recording every change."""
    trace = Trace(job_id, asked)
    seen: tuple[int, int | None, str] | None = None
    while True:
        status, body = client.get(f"/jobs/{job_id}/status")
        now = time.monotonic() - asked
        trace.polls += 1
        if status != 200:
            raise SystemExit(f"/jobs/{job_id}/status answered {status}")
        job = json.loads(body)
        trace.state, trace.message = job["state"], job["message"]
        if job["state"] == "running" and trace.running_at != trace.running_at:
            trace.running_at = now
        key = (job["done"], job["total"], job["message"])
        if key != seen and not job["finished"]:
            trace.changes.append(Change(now, job["done"], job["total"], job["message"]))
            seen = key
        if job["finished"]:
            trace.finished_at = now
            if trace.running_at != trace.running_at:
                trace.running_at = now
            return trace
        if now > timeout:
            raise SystemExit(f"job {job_id} still {job['state']} after {timeout:.0f} s")
        time.sleep(poll)


def exported_risks(url: str) -> int:
    """The risks an unfiltered export holds: all but the archived ones."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM risks WHERE status != 'archived'")).scalar()
    engine.dispose()
    return int(count or 0)


def fetch_file(client: run.Client, trace: Trace, path: Path) -> None:
    """Download the job's file and count the rows of its Register sheet (openpyxl, read-only)."""
    download(client, trace, path)
    count_rows(trace, path)


def download(client: run.Client, trace: Trace, path: Path) -> None:
    if trace.state != "done":
        raise SystemExit(f"job {trace.job_id} ended {trace.state}: {trace.message}")
    started = time.perf_counter()
    status, body = client.get(f"/jobs/{trace.job_id}/download")
    trace.download_seconds = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"/jobs/{trace.job_id}/download answered {status}")
    path.write_bytes(body)
    trace.file_bytes = len(body)


def count_rows(trace: Trace, path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        # The header row is the first; every row after it is a risk.
        trace.register_rows = sum(1 for row in book[REGISTER].iter_rows(values_only=True) if any(row)) - 1
    finally:
        book.close()


class ExportRun(threading.Thread):
    """The whole export in a thread of its own, for bench/load.py to run beside its clients."""

    def __init__(self, base: str, email: str, url: str, poll: float = 0.25) -> None:
        super().__init__(name="export-job", daemon=True)
        self.base, self.email, self.url, self.poll = base, email, url, poll
        self.trace: Trace | None = None
        self.started = self.ended = float("nan")  # time.monotonic() of the POST and of the end
        self.error: str | None = None
        self.asked = threading.Event()
        self.downloaded = threading.Event()  # the file is in: the load may stop (then rows are counted)

    def run(self) -> None:
        path = run.DATA / "export-job-load.xlsx"
        try:
            client = run.Client(self.base)
            client.login(self.email, run.SCALE_PASSWORD)
            job_id, self.started = start_export(client)
            self.asked.set()
            self.trace = follow(client, job_id, self.started, self.poll)
            self.ended = time.monotonic()
            download(client, self.trace, path)
            self.downloaded.set()
            count_rows(self.trace, path)
            self.trace.expected_rows = exported_risks(self.url)
        except (SystemExit, OSError) as error:
            self.error = str(error)
        finally:
            self.asked.set()
            self.downloaded.set()


def report(trace: Trace, size: int, database: str, note: str) -> str:
    gap, phase = trace.longest_still()
    lines = [
        f"### Background export, {database}",
        "",
        f"{run.machine_line()}; {size:,} risks; {note}",
        "",
        "Started from /export.xlsx's page, run by `flask jobs worker`, followed on /jobs/<id>/status "
        f"({trace.polls:,} polls).",
        "",
        "| risks | to the file s | queued s | progress changes | longest still s | in phase | "
        "download s | MB | Register rows (expected) | result |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
        f"| {size:,} | {trace.seconds + trace.download_seconds:.1f} | {trace.running_at:.1f} | "
        f"{trace.value_changes():,} | {gap:.2f} | {phase} | {trace.download_seconds:.1f} | "
        f"{trace.file_bytes / 1e6:.1f} | {trace.register_rows:,} ({trace.expected_rows:,}) | "
        f"{'pass' if gap <= 1.0 and trace.register_rows == trace.expected_rows else 'FAIL'} |",
        "",
        "Phases (seconds): " + "; ".join(f"{m or '-'} {s:.1f}" for m, s in trace.phases()),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL server URL without a database name")
    parser.add_argument("--redis-url", help="the queue on Redis (with --database-url) instead of SQLite")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between status polls")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    url, _ = run.ensure_database(args.database_url, args.size, rebuild=False)
    database = "PostgreSQL" if args.database_url else "SQLite"
    database += ", Redis queue" if args.redis_url else ", SQLite queue (the embedded default)"
    tag = f"export-{args.size}"
    env = queue_env(url, args.redis_url, tag)
    email = run.bench_users(url)["manager"]
    before = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    worker = JobWorker(env, tag=tag)
    server = DevServer(env)
    try:
        client = run.Client(server.base)
        client.login(email, run.SCALE_PASSWORD)
        job_id, asked = start_export(client)
        trace = follow(client, job_id, asked, args.poll)
        fetch_file(client, trace, run.DATA / f"export-job-{tag}.xlsx")
        trace.expected_rows = exported_risks(url)
    finally:
        server.stop()
        worker.stop()
    after = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    text = report(trace, args.size, database, f"load average {before} before, {after} after")
    print(text)
    for change in trace.changes[:3] + [None] + trace.changes[-3:]:
        print("   ", change or "...")
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
