"""The import apply benchmark: a 20,000-row file (8,000 changed risks, 12,000 new ones) applied to
the register of the 10,000-risk scratch database, beside its floor.

Each run plans the file against the register, then times the apply (every statement it sends, up
to the flush) and rolls back, so that every run starts from the same register. The floor is the
same statements, captured from riskreg's last run and replayed with the driver's own execute and
executemany on one connection: what the database costs, without riskreg's Python.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import sqlalchemy as sa

from riskreg.exports.columns import REGISTER_COLUMNS
from riskreg.imports.reader import RegisterSheet, SheetRow

TARGET_SECONDS = 2.0
REGISTER_SIZE = 10_000
EDITABLE = [column.key for column in REGISTER_COLUMNS if column.editable and column.key != "ref"]


def sheet_for(rows: int) -> RegisterSheet:
    """The file: the first 40% of `rows` risks of the register with a new title and a lower
    residual likelihood, then new risks; every cell typed as the reader types it."""
    from riskreg.auth.models import User
    from riskreg.extensions import db
    from riskreg.risks.models import Risk, RiskStatus
    from riskreg.sites.models import Site

    sites = dict(db.session.execute(sa.select(Site.id, Site.name)).all())
    emails = dict(db.session.execute(sa.select(User.id, User.email)).all())
    changed = rows * 2 // 5
    existing = db.session.scalars(
        sa.select(Risk).where(Risk.status != RiskStatus.ARCHIVED).order_by(Risk.id).limit(changed)
    ).all()
    if len(existing) < changed:
        raise SystemExit(f"the register holds {len(existing)} risks that can change; {changed} needed")
    sheet = RegisterSheet(present=set(EDITABLE))
    for number, risk in enumerate(existing, start=2):
        cells = {key: getattr(risk, key) for key in EDITABLE if key not in ("site", "owner")}
        cells |= {"site": sites.get(risk.site_id), "owner": emails[risk.owner_id]}
        cells |= {"title": f"{risk.title} (reviewed)"[:200], "residual_likelihood": 1}
        sheet.rows.append(SheetRow(number, risk.ref, cells))
    template = {key: cells[key] for key in EDITABLE}
    for offset in range(rows - changed):
        cells = template | {"title": f"Imported risk {offset}", "description": "From the benchmark's file."}
        sheet.rows.append(SheetRow(changed + offset + 2, None, cells))
    db.session.rollback()
    return sheet


class Recorder:
    """The statements sent while on (for the floor)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.on, self.statements = engine, False, []
        sa.event.listen(engine, "before_cursor_execute", self.record)

    def record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            self.statements.append((statement, parameters, executemany))


class Fresh:
    """Every run starts from the same register. SQLite: the run is rolled back (its pages are as
    they were). PostgreSQL: a rollback leaves dead rows that slow the next run (and VACUUM cannot
    always remove them while other sessions are open), so each run gets a new copy of the scratch
    database, made from it as a template."""

    def __init__(self, url: str) -> None:
        self.url = sa.engine.make_url(url)
        self.postgresql = self.url.get_backend_name() == "postgresql"
        self.copy = self.url.set(database=f"{self.url.database}_run") if self.postgresql else self.url

    def __call__(self, engine: sa.Engine | None = None) -> None:
        if not self.postgresql:
            return
        if engine is not None:
            engine.dispose()  # no connection may stay open on the copy being replaced
        admin = sa.create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.copy.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{self.copy.database}" TEMPLATE "{self.url.database}"'))
        admin.dispose()

    def drop(self) -> None:
        if self.postgresql:
            admin = sa.create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.copy.database}" WITH (FORCE)'))
            admin.dispose()


def run_import(url: str, rows: int, runs: int) -> dict[str, Any]:
    from riskreg import create_app
    from riskreg.auth.models import Role, User
    from riskreg.extensions import db
    from riskreg.imports import services
    from riskreg.imports.plan import Lookups, make_plan

    fresh = Fresh(url)
    fresh()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh.copy.render_as_string(False), "RATELIMIT_ENABLED": False}
    )
    try:
        with app.app_context():
            sheet = sheet_for(rows)
            recorder = Recorder(db.engine)
            samples, plans, cpus = [], [], []
            for _ in range(runs):
                db.session.remove()
                fresh(db.engine)
                actor = db.session.scalar(sa.select(User).where(User.role == Role.RISK_MANAGER).limit(1))
                started = time.perf_counter()
                lookups = Lookups.load()
                plan = make_plan(sheet, lookups)
                plans.append(time.perf_counter() - started)
                if not plan.ok or len(plan.creates) + len(plan.changes) != rows:
                    raise SystemExit(f"the benchmark's file does not plan cleanly: {plan.problems[:3]}")
                recorder.statements, recorder.on = [], True
                started, cpu = time.perf_counter(), time.process_time()
                services.apply_plan(plan, actor, "Imported from the benchmark", lookups)
                db.session.flush()
                samples.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
                recorder.on = False
                db.session.rollback()
            db.session.remove()
            floor = replay(db.engine, recorder.statements, runs, fresh)
            statements = len(recorder.statements)
            db.engine.dispose()
    finally:
        fresh.drop()
    return {
        "rows": rows,
        "seconds": statistics.median(samples),
        "cpu_seconds": statistics.median(cpus),
        "floor_seconds": statistics.median(floor),
        "plan_seconds": statistics.median(plans),
        "statements": statements,
        "runs": runs,
    }


def replay(
    engine: sa.Engine, statements: list[tuple[str, Any, bool]], runs: int, fresh: Fresh
) -> list[float]:
    samples = []
    for _ in range(runs):
        fresh(engine)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            if not fresh.postgresql:  # riskreg's SQLite connections are in autocommit: it sends BEGIN
                cursor.execute("BEGIN")
            started = time.perf_counter()
            for statement, parameters, many in statements:
                if many and isinstance(parameters, list):  # (a batched INSERT is one execute)
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            samples.append(time.perf_counter() - started)
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
    return samples


def report(result: dict[str, Any], label: str, machine: str) -> str:
    ratio = result["seconds"] / result["floor_seconds"] if result["floor_seconds"] else float("nan")
    passed = "pass" if result["seconds"] < TARGET_SECONDS else "FAIL"
    return "\n".join(
        [
            f"### Import apply, {label}",
            "",
            machine,
            "",
            "| rows | apply s | floor s | ratio | riskreg CPU s | statements | plan s | target | result |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            f"| {result['rows']:,} | {result['seconds']:.2f} | {result['floor_seconds']:.2f} | {ratio:.1f}x | "
            f"{result['cpu_seconds']:.2f} | {result['statements']} | {result['plan_seconds']:.2f} | "
            f"< {TARGET_SECONDS:.0f} s | {passed} |",
            "",
            f"A file of {result['rows']:,} rows (40% changes, 60% new risks) applied to the "
            f"{REGISTER_SIZE:,}-risk register, median of {result['runs']} runs, each rolled back. apply: "
            "riskreg's bulk path (rules, derived values, refs, versions, audit events) up to the flush, "
            "wall clock; riskreg CPU: the process's own CPU time in it (SQLite's work included, "
            "PostgreSQL's not); floor: the same statements replayed on the driver; plan: reading the "
            "register and comparing the file with it (before the apply, in the same request).",
            "",
        ]
    )
