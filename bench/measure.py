"""Floors for the benchmark: a page's own SQL replayed directly, and a bare openpyxl export."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BARE_WRITER = r"""
import json, sys, time
from python_calamine import CalamineWorkbook
from openpyxl import Workbook

source, target = sys.argv[1], sys.argv[2]
book = CalamineWorkbook.from_path(source)
sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
cells = sum(len(row) for rows in sheets.values() for row in rows)
started = time.perf_counter()
out = Workbook(write_only=True)
for name, rows in sheets.items():
    sheet = out.create_sheet(name)
    for row in rows:
        sheet.append(row)
out.save(target)
seconds = time.perf_counter() - started
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "cells": cells}))
"""


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def export_floor(path: Path) -> dict[str, Any]:
    """openpyxl's write-only writer writing the same cells, with no query, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", BARE_WRITER, str(path), str(path.with_suffix(".bare.xlsx"))],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


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
