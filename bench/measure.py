"""Floors for the benchmark: a page's own SQL replayed directly, and a bare openpyxl export."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUNS = 5  # the export and its floor are each the median of this many runs

# The export's cells read back, then written with openpyxl's write-only writer alone: no query, no
# style, no validation. Only the cells the export wrote: calamine pads every row of a sheet to its
# widest with "", and those empty cells are no cells at all in the export, so they stay None
# (which openpyxl does not write). Memory is what writing adds above the process with the cells
# loaded (its high-water mark reset once they are), as the worker's is above its own baseline.
BARE_WRITER = r"""
import json, sys, time
from python_calamine import CalamineWorkbook
from openpyxl import Workbook

def status(field):
    return int(next(l for l in open("/proc/self/status") if l.startswith(field)).split()[1]) / 1024

source, target = sys.argv[1], sys.argv[2]
book = CalamineWorkbook.from_path(source)
sheets = {}
for name in book.sheet_names:
    rows = []
    for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False):
        cells = [None if value == "" else value for value in row]
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    sheets[name] = rows
cells = sum(1 for rows in sheets.values() for row in rows for value in row if value is not None)
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # the high-water mark starts again from here
baseline = status("VmRSS")
started = time.perf_counter()
out = Workbook(write_only=True)
for name, rows in sheets.items():
    sheet = out.create_sheet(name)
    for row in rows:
        sheet.append(row)
out.save(target)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "above_mb": status("VmHWM") - baseline, "cells": cells}))
"""


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb(pid: int) -> float:
    return rss_mb(pid, "VmHWM")


def reset_peak(pid: int) -> None:
    """Start the process's high-water mark (VmHWM) again from its current size."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def export_floor(path: Path, runs: int = RUNS) -> dict[str, Any]:
    """openpyxl's write-only writer writing the same cells, with no query, in a fresh process per
    run: the median of `runs` (seconds and memory above the loaded process)."""
    results = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", BARE_WRITER, str(path), str(path.with_suffix(".bare.xlsx"))],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(result.stdout))
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "above_mb": statistics.median(r["above_mb"] for r in results),
        "cells": results[0]["cells"],
        "runs": runs,
    }


def replay_floor(url: str, email: str, path: str, runs: int, bearer: str | None = None) -> dict[str, Any]:
    """Capture the SQL a GET of `path` runs, then time those statements alone on one connection.
    With `bearer` (an API token) the GET carries it instead of signing in."""
    import sqlalchemy as sa

    from riskreg import create_app
    from riskreg.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    captured: list[tuple[str, Any]] = []
    recording = {"on": False}

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if recording["on"] and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if not bearer:
        response = client.post("/login", data={"email": email, "password": "riskreg-scale-2026"})
        if response.status_code != 302:
            raise SystemExit(f"floor: could not sign in as {email}")
    recording["on"] = True
    response = client.get(path, headers=headers)
    recording["on"] = False
    if response.status_code != 200:
        raise SystemExit(f"floor: {path} answered {response.status_code}")

    raw = engine.raw_connection()
    try:
        samples = []
        for _ in range(runs):
            cursor = raw.cursor()
            started = time.perf_counter()
            for statement, parameters in captured:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
            cursor.close()
            raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return {"p50": statistics.median(samples), "queries": len(captured)}
