"""The register's q= at scale, old way against new: the same register queries with the text as a
scan (LIKE over title, description and ref, as before the search index) and from the index.

    .venv/bin/python bench/search_bench.py <database url> [--runs 30]

On a busy machine wall-clock times move with the load; this measures both conditions in one
process, alternating, on the same database, and reports the database's own time beside the wall:
CPU time of the process for SQLite (the engine runs in it), the server's execution time from
EXPLAIN ANALYZE for PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from riskreg import create_app  # noqa: E402
from riskreg.extensions import db  # noqa: E402
from riskreg.risks import filters as risk_filters  # noqa: E402
from riskreg.risks import queries  # noqa: E402
from riskreg.risks.filters import RiskFilters  # noqa: E402
from riskreg.risks.models import Direction, Risk, RiskStatus  # noqa: E402

CASES = {
    "to ASM, open + mercury": RiskFilters(direction=Direction.TO_ASM, status=RiskStatus.OPEN, q="mercury"),
    "mercury only": RiskFilters(q="mercury"),
}


def scan(needle: str) -> sa.ColumnElement[bool]:
    """The condition q= had before the index (riskreg 0014)."""
    needle = needle.lower()
    return sa.or_(
        *(
            sa.func.lower(c).contains(needle, autoescape=True)
            for c in (Risk.title, Risk.description, Risk.ref)
        )
    )


def statements(filters: RiskFilters, old: bool) -> list[sa.Select]:
    where = risk_filters.conditions(RiskFilters(**{**filters.__dict__, "q": None}))
    where.append(scan(filters.q) if old else risk_filters.conditions(RiskFilters(q=filters.q))[-1])
    likelihood, impact = risk_filters.basis_columns(filters.basis)
    counts = (
        sa.select(likelihood, impact, Risk.direction, sa.func.count())
        .where(*where)
        .group_by(likelihood, impact, Risk.direction)
    )
    columns = risk_filters.sort_columns(filters)
    keys = sa.select(Risk.id.label("id"), *(c.label(f"sort_{n}") for n, c in enumerate(columns))).where(
        *where
    )
    if old:  # as before the index: ORDER BY on the filtered table
        page = keys.order_by(*risk_filters.order_by(filters)).limit(51)
    else:  # as the register does now (riskreg/risks/queries.py)
        page = queries.sorted_keys(keys, filters, False).limit(51)
    return [counts, page]


def run_once(stmts: list[sa.Select]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    server = 0.0
    for stmt in stmts:
        if db.engine.dialect.name == "postgresql":
            sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar()
            server += plan[0]["Execution Time"] + plan[0]["Planning Time"]
        else:
            db.session.execute(stmt).all()
    wall = (time.perf_counter() - wall) * 1000
    cpu = (time.process_time() - cpu) * 1000
    return wall, server if db.engine.dialect.name == "postgresql" else cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    with app.app_context():
        size = db.session.scalar(sa.select(sa.func.count(Risk.id)))
        what = "server execution" if db.engine.dialect.name == "postgresql" else "process CPU"
        print(f"| risks | case | q= as | wall p50 ms | wall p95 ms | {what} p50 ms | {what} p95 ms |")
        print("| ---: | --- | --- | ---: | ---: | ---: | ---: |")
        for name, filters in CASES.items():
            samples: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for n in range(args.runs + 3):
                for old in (True, False):
                    result = run_once(statements(filters, old))
                    if n >= 3:  # warm-up
                        samples[old].append(result)
            for old in (True, False):
                walls = sorted(s[0] for s in samples[old])
                dbs = sorted(s[1] for s in samples[old])
                p95 = lambda xs: xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]  # noqa: E731
                print(
                    f"| {size:,} | {name} | {'scan (before)' if old else 'index'} | "
                    f"{statistics.median(walls):.1f} | {p95(walls):.1f} | {statistics.median(dbs):.1f} | {p95(dbs):.1f} |"
                )
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
