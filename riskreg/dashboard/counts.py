# ruff: noqa: S608  (the trigger SQL is built from this module's constants only, never from input)
"""The maintained heatmap counts (risk_cell_counts): their triggers, their reads and their recount.

The one home of the rule "a risk counts in the cell of each basis, under its site, direction,
category and status" is the trigger SQL below: it runs inside whatever statement writes `risks`
(an ORM flush, a Core bulk insert or update, an import), in the same transaction, so no writer can
forget it. PostgreSQL runs it once per statement over the changed rows (transition tables), and an
edit that moves no risk between keys touches no count row at all (net deltas only, taken in key
order so two writers never lock the same rows in opposite orders); SQLite runs it per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from riskreg.dashboard.models import RiskCellCount
from riskreg.extensions import db
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Risk, RiskStatus

TABLE = "risk_cell_counts"
KEY = ("basis", "site_key", "direction", "category", "status", "likelihood", "impact")
# basis -> the SQL of its (likelihood, impact) in a row of `risks` called {r}; a missing target is 0
BASES = {
    "inherent": ("{r}.inherent_likelihood", "{r}.inherent_impact"),
    "residual": ("{r}.residual_likelihood", "{r}.residual_impact"),
    "target": ("COALESCE({r}.target_likelihood, 0)", "COALESCE({r}.target_impact, 0)"),
}


def _key_parts(row: str, basis: str) -> list[str]:
    likelihood, impact = (part.format(r=row) for part in BASES[basis])
    return [
        f"'{basis}'",
        f"COALESCE({row}.site_id, 0)",
        f"{row}.direction",
        f"{row}.category",
        f"{row}.status",
        likelihood,
        impact,
    ]


def _key_values(row: str, basis: str) -> str:
    return ", ".join(_key_parts(row, basis))


def _rows_of(table: str, sign: int) -> str:
    """Every (key, ±1) of the risks in `table`: one row per risk and basis."""
    selects = (f"SELECT {_key_values('t', basis)}, {sign} FROM {table} t" for basis in BASES)
    return " UNION ALL ".join(selects)


def _pg_apply(*parts: str) -> str:
    keys = ", ".join(KEY)
    return (
        f"INSERT INTO {TABLE} ({keys}, risk_count) "
        f"SELECT {keys}, SUM(delta) FROM ({' UNION ALL '.join(parts)}) AS changes ({keys}, delta) "
        f"GROUP BY {keys} HAVING SUM(delta) <> 0 ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET risk_count = {TABLE}.risk_count + EXCLUDED.risk_count;"
    )


def postgresql_ddl() -> list[str]:
    function = f"""
CREATE OR REPLACE FUNCTION risk_cell_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_pg_apply(_rows_of("new_rows", 1))}
  ELSIF TG_OP = 'UPDATE' THEN
    {_pg_apply(_rows_of("old_rows", -1), _rows_of("new_rows", 1))}
  ELSE
    {_pg_apply(_rows_of("old_rows", -1))}
  END IF;
  RETURN NULL;
END $$;"""
    trigger = (
        "CREATE TRIGGER risk_cell_counts_{op} AFTER {OP} ON risks REFERENCING {tables} "
        "FOR EACH STATEMENT EXECUTE FUNCTION risk_cell_counts_apply()"
    )
    return [
        function,
        trigger.format(op="insert", OP="INSERT", tables="NEW TABLE AS new_rows"),
        trigger.format(op="update", OP="UPDATE", tables="OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        trigger.format(op="delete", OP="DELETE", tables="OLD TABLE AS old_rows"),
    ]


def _sqlite_step(row: str, basis: str, sign: int) -> str:
    where = " AND ".join(
        f"{column} = {value}" for column, value in zip(KEY, _key_parts(row, basis), strict=True)
    )
    keys = ", ".join(KEY)
    return (
        f"INSERT OR IGNORE INTO {TABLE} ({keys}, risk_count) VALUES ({_key_values(row, basis)}, 0); "
        f"UPDATE {TABLE} SET risk_count = risk_count + ({sign}) WHERE {where};"
    )


KEY_COLUMNS = (
    "site_id, direction, category, status, inherent_likelihood, inherent_impact, residual_likelihood, "
    "residual_impact, target_likelihood, target_impact"
)


def sqlite_ddl() -> list[str]:
    def steps(row: str, sign: int) -> str:
        return " ".join(_sqlite_step(row, basis, sign) for basis in BASES)

    return [
        f"CREATE TRIGGER risk_cell_counts_insert AFTER INSERT ON risks BEGIN {steps('NEW', 1)} END",
        f"CREATE TRIGGER risk_cell_counts_update AFTER UPDATE OF {KEY_COLUMNS} ON risks "
        f"BEGIN {steps('OLD', -1)} {steps('NEW', 1)} END",
        f"CREATE TRIGGER risk_cell_counts_delete AFTER DELETE ON risks BEGIN {steps('OLD', -1)} END",
    ]


def ddl(dialect: str) -> list[str]:
    return postgresql_ddl() if dialect == "postgresql" else sqlite_ddl()


def drop_ddl(dialect: str) -> list[str]:
    drops = [f"DROP TRIGGER IF EXISTS risk_cell_counts_{op}" for op in ("insert", "update", "delete")]
    if dialect == "postgresql":
        drops = [f"{drop} ON risks" for drop in drops] + ["DROP FUNCTION IF EXISTS risk_cell_counts_apply()"]
    return drops


def install(connection: sa.Connection) -> None:
    """The triggers (after both tables exist), then the counts of the risks already there."""
    dialect = connection.dialect.name
    for statement in drop_ddl(dialect) + ddl(dialect):
        connection.exec_driver_sql(statement)
    connection.execute(sa.delete(RiskCellCount.__table__))
    connection.execute(sa.insert(RiskCellCount.__table__).from_select([*KEY, "risk_count"], recount_select()))


@sa.event.listens_for(db.metadata, "after_create")
def _after_create(target: sa.MetaData, connection: sa.Connection, **kw: Any) -> None:
    """db.create_all() (tests, a new embedded database) gets the triggers too."""
    if TABLE in target.tables and "risks" in target.tables:
        install(connection)


BASIS_COLUMNS = {
    "inherent": ("inherent_likelihood", "inherent_impact"),
    "residual": ("residual_likelihood", "residual_impact"),
    "target": ("target_likelihood", "target_impact"),
}


def recount_select() -> sa.Select:
    """The counts as they should be, from the risks themselves (one GROUP BY per basis)."""
    risks = Risk.__table__
    selects = []
    for basis, (likelihood, impact) in BASIS_COLUMNS.items():
        level_l = sa.func.coalesce(risks.c[likelihood], 0)
        level_i = sa.func.coalesce(risks.c[impact], 0)
        site = sa.func.coalesce(risks.c.site_id, 0)
        selects.append(
            sa.select(
                sa.literal(basis, sa.String(16)).label("basis"),
                site.label("site_key"),
                sa.type_coerce(risks.c.direction, sa.String).label("direction"),
                risks.c.category,
                sa.type_coerce(risks.c.status, sa.String).label("status"),
                level_l.label("likelihood"),
                level_i.label("impact"),
                sa.func.count().label("risk_count"),
            ).group_by(site, risks.c.direction, risks.c.category, risks.c.status, level_l, level_i)
        )
    return sa.union_all(*selects).subquery("recount").select()


def current() -> dict[tuple[Any, ...], int]:
    """The maintained counts, rows of zero left out."""
    table = RiskCellCount.__table__
    rows = db.session.execute(sa.select(*(table.c[k] for k in KEY), table.c.risk_count))
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1]}


def expected() -> dict[tuple[Any, ...], int]:
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(recount_select())}


def differences() -> int:
    """How many keys' counts differ from a recount of the risks (0: they are true)."""
    before, after = current(), expected()
    return sum(1 for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0))


def recount() -> int:
    """Rebuild the counts from the risks; returns how many keys were wrong (0: they were true)."""
    wrong, after = differences(), expected()
    table = RiskCellCount.__table__
    db.session.execute(sa.delete(table))
    if after:
        db.session.execute(
            sa.insert(table),
            [dict(zip((*KEY, "risk_count"), (*key, n), strict=True)) for key, n in after.items()],
        )
    return wrong


# ---------------------------------------------------------------------------------------------
# reads


def can_answer(filters: RiskFilters) -> bool:
    """The counts know site, direction, category and status; any other filter counts the risks."""
    return filters.department is None and not any(
        (
            filters.owner,
            filters.q,
            filters.flagged is not None,
            filters.review,
            filters.appetite,
            filters.likelihood,
            filters.impact,
        )
    )


def cell_rows(filters: RiskFilters, basis: str) -> Iterable[tuple[Any, Any, str, int]]:
    """(likelihood, impact, direction, count) for `basis` under the filters' scope and status, as
    the GROUP BY over risks gives them (NULL levels for risks with no target score)."""
    table = RiskCellCount.__table__
    c = table.c
    stmt = (
        sa.select(c.likelihood, c.impact, c.direction, sa.func.sum(c.risk_count))
        .where(c.basis == basis)
        .group_by(c.likelihood, c.impact, c.direction)
    )
    if filters.corporate:
        stmt = stmt.where(c.site_key == 0)
    elif filters.site is not None:
        stmt = stmt.where(c.site_key == filters.site)
    if filters.direction is not None:
        stmt = stmt.where(c.direction == filters.direction.value)
    if filters.category:
        stmt = stmt.where(c.category == filters.category)
    if filters.status is not None:
        stmt = stmt.where(c.status == filters.status.value)
    else:
        stmt = stmt.where(c.status != RiskStatus.ARCHIVED.value)
    rows = []
    for likelihood, impact, direction, count in db.session.execute(stmt):
        if not count:
            continue
        if likelihood == 0 or impact == 0:
            likelihood = impact = None
        rows.append((likelihood, impact, direction, int(count)))
    return rows
