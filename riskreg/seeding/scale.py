"""`flask seed scale`: a large, realistic, deterministic register for benchmarks (bulk inserts).

Everything it writes is synthetic; it marks the database as such (AppSetting "synthetic_data") and
refuses to write into a database that holds real data unless told to.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from riskreg import reference, scoring
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role, User
from riskreg.controls.models import Control, ControlStatus, Effectiveness, risk_controls
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today, utcnow
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment, stored_scores
from riskreg.seeding.reference import load_departments, risk_templates
from riskreg.sites.models import AsmPresence, Lifecycle, Site
from riskreg.standards.models import AppSetting

MARKER = "synthetic_data"
CHUNK = 20_000
SCALE_PASSWORD = "riskreg-scale-2026"  # noqa: S105 (synthetic accounts on a scratch database only)


class RealDataError(RuntimeError):
    """The database holds data that `seed scale` did not write."""


@dataclass(frozen=True)
class ScaleOptions:
    risks: int
    controls_per_risk: int = 3
    audit_events_per_risk: int = 10
    sites: int = 40
    departments: int = 11
    users: int = 60
    seed: int = 2026


def holds_real_data() -> bool:
    marked = db.session.get(AppSetting, MARKER) is not None
    has_rows = any(
        db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Risk, User, Site)
    )
    return has_rows and not marked


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table: sa.Table, rows: Iterator[dict[str, Any]]) -> int:
    """Bulk rows on the session's connection, past the ORM's per-row parameter handling (most of a
    million-risk seed's time): PostgreSQL's COPY, SQLite's executemany. Each value still goes
    through its column type's own bind processor, so the stored values are the ones an ORM insert
    writes."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    connection = db.session.connection()
    dialect = connection.dialect
    # The row's own columns, then those it leaves to a Python-side default (as sa.insert would).
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.name not in first and column.default is not None and not column.default.is_sequence
    }
    chosen = [column for column in table.columns if column.name in first or column.name in defaults]
    names = [column.name for column in chosen]
    processors = [column.type._cached_bind_processor(dialect) for column in chosen]

    def value(row: dict[str, Any], name: str) -> Any:
        if name in row:
            return row[name]
        default = defaults[name]
        return default.arg(None) if default.is_callable else default.arg

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, process in zip(names, processors, strict=True):
            item = value(row, name)
            out.append(process(item) if process is not None and item is not None else item)
        return tuple(out)

    rows = itertools.chain([first], rows)

    raw = connection.connection.driver_connection
    count = 0
    if dialect.name == "postgresql":
        columns = ", ".join(f'"{name}"' for name in names)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(values(row))
                count += 1
        return count
    sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'  # noqa: S608
    cursor = raw.cursor()
    for batch in _chunks(rows):
        cursor.executemany(sql, [values(row) for row in batch])
        count += len(batch)
    return count


def _next_id(model: Any) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def seed_scale(options: ScaleOptions, allow_real_data: bool = False) -> dict[str, int]:
    if holds_real_data() and not allow_real_data:
        raise RealDataError(
            "This database holds data that `seed scale` did not write. Use a scratch database, "
            "or pass --allow-real-data to add synthetic rows anyway."
        )
    rnd = random.Random(options.seed)
    load_departments()
    departments = _ensure_departments(options.departments)
    site_ids = _insert_sites(options.sites, rnd)
    user_ids, heads = _insert_users(options.users, departments, rnd)
    risk_start = _next_id(Risk)
    with derived_tables_suspended():
        risks = _insert(Risk.__table__, _risk_rows(options, rnd, risk_start, site_ids, user_ids))
        created = {"risks": risks}
        control_start = _next_id(Control)
        created["controls"] = _insert(
            Control.__table__, _control_rows(options, rnd, control_start, departments, heads, user_ids)
        )
    created["links"] = _insert(risk_controls, _link_rows(options, rnd, risk_start, control_start))
    created["audit_events"] = _insert(AuditEvent.__table__, _audit_rows(options, rnd, risk_start, user_ids))
    if db.session.get(AppSetting, MARKER) is None:
        db.session.add(
            AppSetting(key=MARKER, value={"seed": options.seed, "written_at": utcnow().isoformat()})
        )
    db.session.flush()
    _advance_sequences(Site, User, Risk, Control, AuditEvent)
    return created | {"sites": len(site_ids), "users": len(user_ids)}


@contextmanager
def derived_tables_suspended() -> Iterator[None]:
    """Bulk rows without the per-row upkeep of what is derived from them, then one rebuild.

    The kept dashboard counts and the search index are kept by triggers (and on PostgreSQL GIN
    indexes) row by row: for a million risks that upkeep is most of the load (SQLite runs a dozen
    count upserts and an FTS insert per row). Dropped here, they are rebuilt once from the rows at
    the end, in the same transaction, by their own homes: the same DDL and the same recount.
    """
    from riskreg.dashboard import counts
    from riskreg.search import index

    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":  # a million rows' indexes outgrow SQLite's default 2 MB page cache
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
    for statement in counts.drop_ddl(dialect) + index.drop_statements(dialect):
        connection.exec_driver_sql(statement)
    yield
    db.session.flush()
    for statement in index.create_statements(dialect, backfill=True):
        connection.exec_driver_sql(statement)
    counts.install(connection)


def _advance_sequences(*models: Any) -> None:
    """PostgreSQL: the ids were written explicitly, so move each id sequence past them (else the
    next risk created through the app would collide with a seeded one)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__.name
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (model names only)
                f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
            )
        )


def _ensure_departments(count: int) -> list[int]:
    ids = list(db.session.scalars(sa.select(Department.id).order_by(Department.id)))
    for n in range(len(ids), count):
        department = Department(name=f"Synthetic department {n + 1}")
        db.session.add(department)
        db.session.flush()
        ids.append(department.id)
    return ids[:count]


def _insert_sites(count: int, rnd: random.Random) -> list[int]:
    start = _next_id(Site)
    presences = list(AsmPresence)
    rows = (
        {
            "id": start + n,
            "name": f"Synthetic site {start + n:03d}",
            "country": rnd.choice(
                ["Ghana", "Tanzania", "Peru", "Colombia", "DR Congo", "Burkina Faso", "Chile"]
            ),
            "region": "",
            "latitude": round(rnd.uniform(-30, 15), 3),
            "longitude": round(rnd.uniform(-80, 40), 3),
            "commodity": rnd.choice(["Gold", "Copper", "Tin", "Diamonds"]),
            "lifecycle": rnd.choice(list(Lifecycle)).value,
            "asm_presence": presences[n % 3].value,
            "asm_presence_source": "observations",
            "asm_presence_reason": "",
            "asm_approach": "not_defined",
            "description": "",
            "active": True,
            "created_at": utcnow(),
            "version": 1,
        }
        for n in range(count)
    )
    _insert(Site.__table__, rows)
    return list(range(start, start + count))


def _insert_users(count: int, departments: list[int], rnd: random.Random) -> tuple[list[int], dict[int, int]]:
    start = _next_id(User)
    password_hash = generate_password_hash(SCALE_PASSWORD, method="pbkdf2:sha256:1000")
    roles = [Role.RISK_MANAGER, Role.EXECUTIVE, Role.ADMIN]
    rows = []
    heads: dict[int, int] = {}
    for n in range(count):
        user_id = start + n
        if n < len(departments):  # one head per department first
            role, department = Role.DEPARTMENT_HEAD, departments[n]
            heads[department] = user_id
        else:
            role, department = roles[n % len(roles)], None
        rows.append(
            {
                "id": user_id,
                "email": f"scale{user_id}@example.com",
                "name": f"Synthetic user {user_id}",
                "role": role.value,
                "department_id": department,
                "active": True,
                "password_hash": password_hash,
                "session_token": f"{rnd.getrandbits(128):032x}",
                "created_at": utcnow(),
            }
        )
    _insert(User.__table__, iter(rows))
    return list(range(start, start + count)), heads


def _risk_rows(
    options: ScaleOptions, rnd: random.Random, start: int, site_ids: list[int], user_ids: list[int]
) -> Iterator[dict[str, Any]]:
    templates = list(risk_templates().values())
    categories = reference.categories()
    statuses = [RiskStatus.OPEN] * 7 + [RiskStatus.DRAFT, RiskStatus.CLOSED, RiskStatus.ARCHIVED]
    now, day, matrix = utcnow(), today(), scoring.matrix()
    for n in range(options.risks):
        template = templates[n % len(templates)]
        il, ii = rnd.randint(1, 5), rnd.randint(1, 5)
        rl, ri = rnd.randint(1, il), rnd.randint(max(1, ii - 1), ii)
        has_target = rnd.random() < 0.4
        risk_id = start + n
        yield {
            "id": risk_id,
            "ref": f"R-{risk_id:04d}",
            "title": f"{template['title']} #{risk_id}",
            "description": template["description"],
            "cause": template["cause"],
            "consequence": template["consequence"],
            "site_id": None if n % 25 == 0 else rnd.choice(site_ids),
            "direction": Direction(template["direction"]).value,
            "category": categories[n % len(categories)] if n % 3 == 0 else template["category"],
            "impact_area": rnd.choice(list(ImpactArea)).value,
            "owner_id": rnd.choice(user_ids),
            "inherent_likelihood": il,
            "inherent_impact": ii,
            "residual_likelihood": rl,
            "residual_impact": ri,
            **stored_scores(
                {
                    "direction": template["direction"],
                    "inherent_likelihood": il,
                    "inherent_impact": ii,
                    "residual_likelihood": rl,
                    "residual_impact": ri,
                },
                matrix,
            ),
            "target_likelihood": max(1, rl - 1) if has_target else None,
            "target_impact": ri if has_target else None,
            "target_date": day + timedelta(days=rnd.randint(30, 720)) if has_target else None,
            "treatment": rnd.choice(list(Treatment)).value,
            "status": rnd.choice(statuses).value,
            "trend": None,
            "next_review_date": day + timedelta(days=rnd.randint(-120, 365)),
            "template_code": template["code"],
            "residual_assessed_at": now - timedelta(days=rnd.randint(0, 900)),
            "created_at": now - timedelta(days=rnd.randint(0, 1100)),
            "updated_at": now,
            "created_by_id": None,
            "version": 1,
        }


def _control_rows(
    options: ScaleOptions,
    rnd: random.Random,
    start: int,
    departments: list[int],
    heads: dict[int, int],
    user_ids: list[int],
) -> Iterator[dict[str, Any]]:
    statuses = (
        [ControlStatus.PLANNED] * 3
        + [ControlStatus.IN_PROGRESS] * 3
        + [
            ControlStatus.IMPLEMENTED,
            ControlStatus.IMPLEMENTED,
            ControlStatus.VERIFIED,
            ControlStatus.CANCELLED,
        ]
    )
    now, day = utcnow(), today()
    for n in range(options.risks * options.controls_per_risk):
        control_id = start + n
        status = rnd.choice(statuses)
        department = rnd.choice(departments)
        closed = status in (ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED)
        closed_at: datetime | None = now - timedelta(days=rnd.randint(1, 400)) if closed else None
        due: date | None = day + timedelta(days=rnd.randint(-200, 300)) if n % 17 else None
        yield {
            "id": control_id,
            "ref": f"C-{control_id:04d}",
            "title": f"Control {control_id}",
            "description": "",
            "department_id": department,
            "owner_id": heads.get(department) or rnd.choice(user_ids),
            "due_date": due,
            "status": status.value,
            "effectiveness": (
                rnd.choice(list(Effectiveness)).value
                if status is ControlStatus.VERIFIED
                else Effectiveness.NOT_ASSESSED.value
            ),
            "formalisation_support": n % 40 == 0,
            "closing_note": "Done, see evidence." if closed else "",
            "closed_at": closed_at,
            "closed_by_id": heads.get(department) if closed else None,
            "verified_at": closed_at if status is ControlStatus.VERIFIED else None,
            "verified_by_id": None,
            "created_at": now - timedelta(days=rnd.randint(0, 1000)),
            "updated_at": now,
            "created_by_id": None,
            "version": 1,
        }


def _link_rows(options: ScaleOptions, rnd: random.Random, risk_start: int, control_start: int):
    per = options.controls_per_risk
    for n in range(options.risks * per):
        risk_id = risk_start + n // per
        yield {"risk_id": risk_id, "control_id": control_start + n}
        if n % 10 == 0 and options.risks > 1:  # some controls mitigate two risks
            other = risk_start + (n // per + 1) % options.risks
            if other != risk_id:
                yield {"risk_id": other, "control_id": control_start + n}


def _audit_rows(options: ScaleOptions, rnd: random.Random, risk_start: int, user_ids: list[int]):
    now = utcnow()
    for n in range(options.risks):
        risk_id = risk_start + n
        at = now - timedelta(days=1100)
        for k in range(options.audit_events_per_risk):
            at = at + timedelta(days=rnd.randint(1, 100), seconds=rnd.randint(0, 86_399))
            if k == 0:
                action, changes = "create", {"ref": [None, f"R-{risk_id:04d}"]}
            else:
                old = rnd.randint(1, 5)
                action, changes = "update", {"residual_likelihood": [old, max(1, old - 1)]}
            yield {
                "at": min(at, now),
                "actor_id": rnd.choice(user_ids),
                "entity": "risk",
                "entity_id": risk_id,
                "action": action,
                "changes": changes,
                "note": "",
            }


def refresh_statistics() -> None:
    """After a bulk load: planner statistics, and on PostgreSQL the visibility map too.

    Without VACUUM, PostgreSQL's index-only scans still visit the heap for every freshly written row
    (the dashboard's aggregates over 100k risks took 198 ms instead of 85 ms); autovacuum would get
    there eventually, a benchmark should not wait for it.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
