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

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from riskreg.controls.models import Control
from riskreg.dashboard.models import ControlCount, RiskCellCount
from riskreg.extensions import db
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Risk, RiskStatus

TABLE = "risk_cell_counts"
# In index order: a dashboard's read is one range of it (basis, site, category, then its statuses).
KEY = ("basis", "site_key", "category", "status", "direction", "likelihood", "impact")
ALL_SITES, ALL_CATEGORIES = -1, "*"  # roll-up keys: a risk also counts under "every site/category"
CORPORATE = 0  # site_key of a risk tied to no site
# basis -> the SQL of its (likelihood, impact) in a row of `risks` called {r}; a missing target is 0
BASES = {
    "inherent": ("{r}.inherent_likelihood", "{r}.inherent_impact"),
    "residual": ("{r}.residual_likelihood", "{r}.residual_impact"),
    "target": ("COALESCE({r}.target_likelihood, 0)", "COALESCE({r}.target_impact, 0)"),
}
# Each risk counts four times per basis: under its site or every site, its category or every one.
# The direction is always kept (the people-first rule needs it), the status too (a filter of few values).
ROLLUPS = ((False, False), (True, False), (False, True), (True, True))


def _key_parts(row: str, basis: str, all_sites: bool, all_categories: bool) -> list[str]:
    likelihood, impact = (part.format(r=row) for part in BASES[basis])
    return [
        f"'{basis}'",
        str(ALL_SITES) if all_sites else f"COALESCE({row}.site_id, {CORPORATE})",
        f"'{ALL_CATEGORIES}'" if all_categories else f"{row}.category",
        f"{row}.status",
        f"{row}.direction",
        likelihood,
        impact,
    ]


def _keys(row: str) -> list[list[str]]:
    """The SQL of every key a row of `risks` counts under (12: three bases, four roll-ups)."""
    return [_key_parts(row, basis, *rollup) for basis in BASES for rollup in ROLLUPS]


def _control_keys(row: str, dialect: str) -> list[list[str]]:
    due = (
        f"COALESCE(to_char({row}.due_date, 'YYYY-MM-DD'), '')"
        if dialect == "postgresql"
        else (f"COALESCE({row}.due_date, '')")
    )
    return [[f"{row}.department_id", f"{row}.status", due, f"COALESCE({row}.owner_id, 0)"]]


@dataclass(frozen=True)
class Kept:
    """A table of counts kept by triggers on `source`: each source row adds 1 under every key of
    `keys(row, dialect)` (SQL over a row called `row`), and `watched` are the columns they read."""

    table: str
    source: str
    key: tuple[str, ...]
    count: str
    keys: Callable[[str, str], list[list[str]]]
    watched: str

    def _rows_of(self, table: str, sign: int, dialect: str) -> str:
        return " UNION ALL ".join(
            f"SELECT {', '.join(key)}, {sign} FROM {table} t" for key in self.keys("t", dialect)
        )

    def _pg_apply(self, *parts: str) -> str:
        keys, count = ", ".join(self.key), self.count
        return (
            f"INSERT INTO {self.table} ({keys}, {count}) "
            f"SELECT {keys}, SUM(delta) FROM ({' UNION ALL '.join(parts)}) AS changes ({keys}, delta) "
            f"GROUP BY {keys} HAVING SUM(delta) <> 0 ORDER BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {count} = {self.table}.{count} + EXCLUDED.{count};"
        )

    def postgresql_ddl(self) -> list[str]:
        rows = functools.partial(self._rows_of, dialect="postgresql")
        function = f"""
CREATE OR REPLACE FUNCTION {self.table}_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {self._pg_apply(rows("new_rows", 1))}
  ELSIF TG_OP = 'UPDATE' THEN
    {self._pg_apply(rows("old_rows", -1), rows("new_rows", 1))}
  ELSE
    {self._pg_apply(rows("old_rows", -1))}
  END IF;
  RETURN NULL;
END $$;"""
        trigger = (
            f"CREATE TRIGGER {self.table}_{{op}} AFTER {{OP}} ON {self.source} REFERENCING {{tables}} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {self.table}_apply()"
        )
        return [
            function,
            trigger.format(op="insert", OP="INSERT", tables="NEW TABLE AS new_rows"),
            trigger.format(op="update", OP="UPDATE", tables="OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            trigger.format(op="delete", OP="DELETE", tables="OLD TABLE AS old_rows"),
        ]

    def _sqlite_steps(self, row: str, sign: int) -> str:
        steps = []
        for key in self.keys(row, "sqlite"):
            where = " AND ".join(f"{column} = {value}" for column, value in zip(self.key, key, strict=True))
            steps.append(
                f"INSERT OR IGNORE INTO {self.table} ({', '.join(self.key)}, {self.count}) "
                f"VALUES ({', '.join(key)}, 0); "
                f"UPDATE {self.table} SET {self.count} = {self.count} + ({sign}) WHERE {where};"
            )
        return " ".join(steps)

    def sqlite_ddl(self) -> list[str]:
        name, source = self.table, self.source
        return [
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {source} BEGIN {self._sqlite_steps('NEW', 1)} END",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {self.watched} ON {source} "
            f"BEGIN {self._sqlite_steps('OLD', -1)} {self._sqlite_steps('NEW', 1)} END",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {source} "
            f"BEGIN {self._sqlite_steps('OLD', -1)} END",
        ]

    def ddl(self, dialect: str) -> list[str]:
        return self.postgresql_ddl() if dialect == "postgresql" else self.sqlite_ddl()

    def drop_ddl(self, dialect: str) -> list[str]:
        drops = [f"DROP TRIGGER IF EXISTS {self.table}_{op}" for op in ("insert", "update", "delete")]
        if dialect == "postgresql":
            drops = [f"{drop} ON {self.source}" for drop in drops]
            drops.append(f"DROP FUNCTION IF EXISTS {self.table}_apply()")
        return drops


RISK_CELLS = Kept(
    TABLE,
    "risks",
    KEY,
    "risk_count",
    lambda row, dialect: _keys(row),
    "site_id, direction, category, status, inherent_likelihood, inherent_impact, residual_likelihood, "
    "residual_impact, target_likelihood, target_impact",
)
CONTROLS = Kept(
    "control_counts",
    "controls",
    ("department_id", "status", "due_key", "owner_key"),
    "control_count",
    _control_keys,
    "department_id, status, due_date, owner_id",
)
KEPT = (RISK_CELLS, CONTROLS)


def ddl(dialect: str) -> list[str]:
    return [statement for kept in KEPT for statement in kept.ddl(dialect)]


def drop_ddl(dialect: str) -> list[str]:
    return [statement for kept in KEPT for statement in kept.drop_ddl(dialect)]


def install(connection: sa.Connection) -> None:
    """The triggers (after the tables exist), then the counts of the rows already there."""
    dialect = connection.dialect.name
    for statement in drop_ddl(dialect) + ddl(dialect):
        connection.exec_driver_sql(statement)
    selects = ((RiskCellCount.__table__, recount_select()), (ControlCount.__table__, control_select(dialect)))
    for table, select in selects:
        connection.execute(sa.delete(table))
        columns = [c.name for c in table.columns]
        connection.execute(sa.insert(table).from_select(columns, select))


@sa.event.listens_for(db.metadata, "after_create")
def _after_create(target: sa.MetaData, connection: sa.Connection, **kw: Any) -> None:
    """db.create_all() (tests, a new embedded database) gets the triggers too."""
    if {TABLE, "control_counts", "risks", "controls"} <= set(target.tables):
        install(connection)


BASIS_COLUMNS = {
    "inherent": ("inherent_likelihood", "inherent_impact"),
    "residual": ("residual_likelihood", "residual_impact"),
    "target": ("target_likelihood", "target_impact"),
}


def recount_select() -> sa.Select:
    """The counts as they should be, from the risks themselves (one GROUP BY per basis and roll-up)."""
    risks = Risk.__table__
    direction = sa.type_coerce(risks.c.direction, sa.String)
    status = sa.type_coerce(risks.c.status, sa.String)
    selects = []
    for basis, (likelihood, impact) in BASIS_COLUMNS.items():
        for all_sites, all_categories in ROLLUPS:
            levels = [sa.func.coalesce(risks.c[likelihood], 0), sa.func.coalesce(risks.c[impact], 0)]
            site = sa.literal(ALL_SITES) if all_sites else sa.func.coalesce(risks.c.site_id, CORPORATE)
            category = sa.literal(ALL_CATEGORIES, sa.String) if all_categories else risks.c.category
            grouped = [column for column in (site, category) if not isinstance(column, sa.BindParameter)]
            selects.append(
                sa.select(
                    sa.literal(basis, sa.String(16)).label("basis"),
                    site.label("site_key"),
                    category.label("category"),
                    status.label("status"),
                    direction.label("direction"),
                    levels[0].label("likelihood"),
                    levels[1].label("impact"),
                    sa.func.count().label("risk_count"),
                ).group_by(*grouped, status, direction, *levels)
            )
    return sa.union_all(*selects).subquery("recount").select()


def control_select(dialect: str) -> sa.Select:
    """The control counts as they should be, from the controls themselves."""
    controls = Control.__table__
    due = (
        sa.func.to_char(controls.c.due_date, "YYYY-MM-DD")
        if dialect == "postgresql"
        else sa.type_coerce(controls.c.due_date, sa.String)
    )
    key = {
        "department_id": controls.c.department_id,
        "status": sa.type_coerce(controls.c.status, sa.String),
        "due_key": sa.func.coalesce(due, ""),
        "owner_key": sa.func.coalesce(controls.c.owner_id, 0),
    }
    labelled = [column.label(name) for name, column in key.items()]
    return sa.select(*labelled, sa.func.count().label("control_count")).group_by(*key.values())


def _tables() -> list[tuple[sa.Table, sa.Select]]:
    dialect = db.session.get_bind().dialect.name
    return [(RiskCellCount.__table__, recount_select()), (ControlCount.__table__, control_select(dialect))]


def _as_dict(rows: Iterable[Any]) -> dict[tuple[Any, ...], int]:
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1]}


def current(table: sa.Table = RiskCellCount.__table__) -> dict[tuple[Any, ...], int]:
    """The kept counts, rows of zero left out."""
    return _as_dict(db.session.execute(sa.select(*table.columns)))


def differences() -> int:
    """How many keys' counts differ from a recount (0: every kept count is true)."""
    wrong = 0
    for table, select in _tables():
        before, after = current(table), _as_dict(db.session.execute(select))
        wrong += sum(1 for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0))
    return wrong


def recount() -> int:
    """Rebuild the kept counts from the risks and controls; returns how many keys were wrong."""
    wrong = differences()
    for table, select in _tables():
        db.session.execute(sa.delete(table))
        db.session.execute(sa.insert(table).from_select([c.name for c in table.columns], select))
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
        stmt = stmt.where(c.site_key == CORPORATE)
    else:
        stmt = stmt.where(c.site_key == (ALL_SITES if filters.site is None else filters.site))
    stmt = stmt.where(c.category == (filters.category or ALL_CATEGORIES))
    if filters.direction is not None:
        stmt = stmt.where(c.direction == filters.direction.value)
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
