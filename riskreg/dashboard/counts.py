# ruff: noqa: S608  (the trigger SQL is built from this module's constants only, never from input)
"""The maintained counts (risk_cell_counts, control_counts): their triggers, their reads and their recount.

The one home of the rules "a risk counts in the cell of each basis, under its site, direction,
category and status" and "a control counts under its department and status, an open one also under
its owner and its due date" is the key SQL below (`Kept.keys`): the triggers run it inside whatever
statement writes the rows (an ORM flush, a Core bulk insert or update, an import), in the same
transaction, so no writer can forget it, and the recount runs the same SQL over every row.
PostgreSQL runs the triggers once per statement over the changed rows (transition tables), and an
edit that moves no row between keys touches no count row at all (net deltas only, taken in key
order so two writers never lock the same rows in opposite orders); SQLite runs them per row.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa

from riskreg import reads
from riskreg.appetite import cover
from riskreg.auth.models import User
from riskreg.controls.models import OPEN_CONTROL_STATUSES
from riskreg.dashboard.models import ControlCount, RiskCellCount
from riskreg.extensions import db
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import RiskStatus

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


class Key(NamedTuple):
    """The SQL of one key a source row counts under (over a row called `row`), and the condition
    under which it counts there (None: always)."""

    parts: list[str]
    when: str | None = None


def _keys(row: str) -> list[Key]:
    """The SQL of every key a row of `risks` counts under (12: three bases, four roll-ups)."""
    return [Key(_key_parts(row, basis, *rollup)) for basis in BASES for rollup in ROLLUPS]


# A control counts under keys of five kinds, so the departments table reads a few short index
# ranges, not a row per due date and owner: every control under ALL (its department and status:
# the totals); an open one also under OWNER (its owner: "belonging to nobody" is read with the
# users' active flags at query time) and under its due date's YEAR, MONTH and DAY (DAY "" when it
# has none), so "late" (open, due before today) is the earlier years, this year's earlier months
# and this month's earlier days: a few dozen rows per department and open status, however many
# controls and due dates there are.
CONTROL_KEY = ("kind", "due_key", "owner_key", "department_id", "status")  # the primary key's order
ALL, OWNER, YEAR, MONTH, DAY = "all", "owner", "year", "month", "day"
DUE_PREFIX = {YEAR: 4, MONTH: 7, DAY: 10}  # kind -> how much of the ISO due date is its due_key
NO_DATE, NOBODY = "", 0  # the due_key of an undated control, the owner_key of an ownerless one


def _control_keys(row: str, dialect: str) -> list[Key]:
    iso = f"to_char({row}.due_date, 'YYYY-MM-DD')" if dialect == "postgresql" else f"{row}.due_date"
    is_open = f"{row}.status IN ({', '.join(repr(status.value) for status in OPEN_CONTROL_STATUSES)})"
    where = [f"{row}.department_id", f"{row}.status"]
    keys = [
        Key([f"'{ALL}'", f"'{NO_DATE}'", str(NOBODY), *where]),
        Key([f"'{OWNER}'", f"'{NO_DATE}'", f"COALESCE({row}.owner_id, {NOBODY})", *where], is_open),
        Key([f"'{DAY}'", f"COALESCE({iso}, '{NO_DATE}')", str(NOBODY), *where], is_open),
    ]
    dated = f"{is_open} AND {row}.due_date IS NOT NULL"
    keys += [
        Key([f"'{kind}'", f"substr({iso}, 1, {DUE_PREFIX[kind]})", str(NOBODY), *where], dated)
        for kind in (YEAR, MONTH)
    ]
    return keys


def _control_keys_0019(row: str, dialect: str) -> list[Key]:
    """The keys migration 0019 installed (one per department, status, due date and owner): only
    the migrations install them (0019, and 0022 going back down), nothing reads them."""
    due = (
        f"COALESCE(to_char({row}.due_date, 'YYYY-MM-DD'), '')"
        if dialect == "postgresql"
        else f"COALESCE({row}.due_date, '')"
    )
    return [Key([f"{row}.department_id", f"{row}.status", due, f"COALESCE({row}.owner_id, 0)"])]


@dataclass(frozen=True)
class Kept:
    """A table of counts kept by triggers on `source`: each source row adds 1 under every key of
    `keys(row, dialect)` whose condition holds, and `watched` are the columns they read."""

    table: str
    source: str
    key: tuple[str, ...]
    count: str
    keys: Callable[[str, str], list[Key]]
    watched: str

    def _rows_of(self, table: str, sign: int, dialect: str) -> str:
        return " UNION ALL ".join(
            f"SELECT {', '.join(key.parts)}, {sign} FROM {table} t"
            + (f" WHERE {key.when}" if key.when else "")
            for key in self.keys("t", dialect)
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
            match = [f"{column} = {value}" for column, value in zip(self.key, key.parts, strict=True)]
            when = f" WHERE {key.when}" if key.when else ""
            steps.append(
                f"INSERT OR IGNORE INTO {self.table} ({', '.join(self.key)}, {self.count}) "
                f"SELECT {', '.join(key.parts)}, 0{when}; "
                f"UPDATE {self.table} SET {self.count} = {self.count} + ({sign}) "
                f"WHERE {' AND '.join(match + ([key.when] if key.when else []))};"
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

    def recount_sql(self, dialect: str) -> str:
        """The counts as they should be: the triggers' own keys over every source row, rows of
        zero left out (one GROUP BY per key, then the sum of any key two of them share)."""
        keys = ", ".join(self.key)
        # Last key column first: SQLite picks the index its GROUP BY leads with, and a key's
        # leading columns are the kind or basis (a constant per arm), its last ones the source's.
        positions = ", ".join(str(n) for n in range(len(self.key), 0, -1))
        arms = []
        for key in self.keys("t", dialect):
            named = ", ".join(f"{part} AS {column}" for part, column in zip(key.parts, self.key, strict=True))
            when = f" WHERE {key.when}" if key.when else ""
            arms.append(f"SELECT {named}, COUNT(*) AS n FROM {self.source} t{when} GROUP BY {positions}")
        per_key = " UNION ALL ".join(arms)
        return f"SELECT {keys}, SUM(n) AS {self.count} FROM ({per_key}) AS recount GROUP BY {keys}"

    def install(self, connection: sa.Connection) -> None:
        """The triggers (after the tables exist), then the counts of the rows already there."""
        dialect = connection.dialect.name
        for statement in self.drop_ddl(dialect) + self.ddl(dialect):
            connection.exec_driver_sql(statement)
        self.rebuild(connection)

    def rebuild(self, connection: sa.Connection) -> None:
        connection.exec_driver_sql(f"DELETE FROM {self.table}")
        columns = ", ".join((*self.key, self.count))
        connection.exec_driver_sql(
            f"INSERT INTO {self.table} ({columns}) {self.recount_sql(connection.dialect.name)}"
        )


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
    CONTROL_KEY,
    "control_count",
    _control_keys,
    "department_id, status, due_date, owner_id",
)


def _appetite_keys(row: str, dialect: str) -> list[Key]:
    """A risk counts once: under its category, status, direction, residual band rank (the
    people-first rule included, as stored) and whether risk_cover holds it."""
    covered = f"CASE WHEN EXISTS (SELECT 1 FROM {cover.TABLE} c WHERE c.risk_id = {row}.id) THEN 1 ELSE 0 END"
    risk = [f"{row}.{column}" for column in ("category", "status", "direction", "residual_band_rank")]
    return [Key([*risk, covered])]


APPETITE = Kept(
    cover.COUNTS,
    "risks",
    cover.COUNT_KEY,
    "risk_count",
    _appetite_keys,
    "category, status, direction, residual_band_rank",
)
KEPT = (RISK_CELLS, CONTROLS, APPETITE)
# control_counts as migration 0019 made it: its key columns and keys (see _control_keys_0019)
CONTROLS_0019 = Kept(
    "control_counts",
    "controls",
    ("department_id", "status", "due_key", "owner_key"),
    "control_count",
    _control_keys_0019,
    "department_id, status, due_date, owner_id",
)


def ddl(dialect: str) -> list[str]:
    """Every trigger of the kept counts, risk_cover's (riskreg.appetite.cover) included."""
    statements = cover.ddl(_dialect(dialect))
    return statements + [statement for kept in KEPT for statement in kept.ddl(dialect)]


def drop_ddl(dialect: str) -> list[str]:
    statements = cover.drop_ddl(_dialect(dialect))
    return statements + [statement for kept in KEPT for statement in kept.drop_ddl(dialect)]


def _dialect(name: str) -> sa.Dialect:
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.dialect() if name == "postgresql" else sqlite.dialect()


def install(connection: sa.Connection, kept: Iterable[Kept] = KEPT) -> None:
    """The triggers (after the tables exist), then the counts of the rows already there; risk_cover
    first, as the appetite counts read it."""
    kept = tuple(kept)
    if APPETITE in kept:
        cover.install(connection)
    for table in kept:
        table.install(connection)


@sa.event.listens_for(db.metadata, "after_create")
def _after_create(target: sa.MetaData, connection: sa.Connection, **kw: Any) -> None:
    """db.create_all() (tests, a new embedded database) gets the triggers too."""
    if {TABLE, "control_counts", cover.TABLE, cover.COUNTS, "risks", "controls"} <= set(target.tables):
        install(connection)


def _as_dict(rows: Iterable[Any]) -> dict[tuple[Any, ...], int]:
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1]}


def current(kept: Kept = RISK_CELLS) -> dict[tuple[Any, ...], int]:
    """The kept counts by key, rows of zero left out."""
    columns = ", ".join((*kept.key, kept.count))
    return _as_dict(db.session.execute(sa.text(f"SELECT {columns} FROM {kept.table}")))


def recounted(kept: Kept = RISK_CELLS) -> dict[tuple[Any, ...], int]:
    """The counts a recount gives, by key."""
    dialect = db.session.get_bind().dialect.name
    return _as_dict(db.session.execute(sa.text(kept.recount_sql(dialect))))


def differences() -> int:
    """How many keys' counts differ from a recount (0: every kept count is true)."""
    wrong = cover.differences(db.session.connection())
    for kept in KEPT:
        before, after = current(kept), recounted(kept)
        wrong += sum(1 for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0))
    return wrong


def recount() -> int:
    """Rebuild the kept counts from the risks and controls; returns how many keys were wrong."""
    wrong = differences()
    cover.rebuild(db.session.connection())  # first: the appetite counts read it
    for kept in KEPT:
        kept.rebuild(db.session.connection())
    return wrong


# ---------------------------------------------------------------------------------------------
# reads


# The filters the counts are kept by (band, basis and sort choose among them or order the rows).
ANSWERED_FILTERS = frozenset(
    {"site", "corporate", "direction", "category", "status", "band", "basis", "sort"}
)
_NO_FILTERS = RiskFilters()


def can_answer(filters: RiskFilters) -> bool:
    """The counts know site, direction, category and status; any other filter (and any filter
    added later) counts the risks."""
    return all(
        getattr(filters, field.name) == getattr(_NO_FILTERS, field.name)
        for field in dataclasses.fields(RiskFilters)
        if field.name not in ANSWERED_FILTERS
    )


def cell_rows(filters: RiskFilters, basis: str) -> list[tuple[Any, Any, str, int]]:
    """(likelihood, impact, direction, count) for `basis` under the filters' scope and status, as
    the GROUP BY over risks gives them (NULL levels for risks with no target score)."""
    site_key = CORPORATE if filters.corporate else ALL_SITES if filters.site is None else filters.site
    params = {"cell_basis": basis, "cell_site": site_key, "cell_category": filters.category or ALL_CATEGORIES}
    if filters.direction is not None:
        params["cell_direction"] = filters.direction.value
    params["cell_status"] = RiskStatus.ARCHIVED.value if filters.status is None else filters.status.value
    stmt = _cell_statement(filters.direction is not None, filters.status is not None)
    rows = []
    for likelihood, impact, direction, count in reads.rows(stmt, params):
        if not count:
            continue
        if likelihood == 0 or impact == 0:
            likelihood = impact = None
        rows.append((likelihood, impact, direction, int(count)))
    return rows


@functools.cache
def _cell_statement(by_direction: bool, by_status: bool) -> sa.Select:
    """cell_rows' statement, built once per shape: the register and the dashboard read it on
    every view, and building it (and its cache key) cost more than running it."""
    c = RiskCellCount.__table__.c
    status = sa.bindparam("cell_status", type_=sa.String)
    stmt = (
        sa.select(c.likelihood, c.impact, c.direction, sa.func.sum(c.risk_count))
        .where(
            c.basis == sa.bindparam("cell_basis", type_=sa.String),
            c.site_key == sa.bindparam("cell_site", type_=sa.Integer),
            c.category == sa.bindparam("cell_category", type_=sa.String),
            c.status == status if by_status else c.status != status,  # no status: all but archived
        )
        .group_by(c.likelihood, c.impact, c.direction)
    )
    if by_direction:
        stmt = stmt.where(c.direction == sa.bindparam("cell_direction", type_=sa.String))
    return stmt


TALLY = ("controls", "late", "nobody", "no_date")  # the figures of control_tally, in its column order


def control_tally() -> sa.Select:
    """(department_id, status, *TALLY) per department and status, from the kept control counts:
    a few index ranges of control_counts (see _control_keys) whatever the number of controls;
    run it with tally_params(on). `late` is open and due before `on` (Control.is_overdue);
    `nobody` has no owner or an inactive one (controls.filters.ownerless_condition), `no_date` no
    due date: open ones only."""
    c = ControlCount.__table__.c
    year, month, day = (sa.bindparam(f"tally_{kind}", type_=sa.String) for kind in (YEAR, MONTH, DAY))
    inactive = sa.select(User.id).where(User.active.is_(False))

    def rows(kind: str, figure: str, *where: sa.ColumnElement[bool]) -> sa.Select:
        figures = [
            (c.control_count if name == figure else sa.literal_column("0")).label(name) for name in TALLY
        ]
        return sa.select(c.department_id, c.status, *figures).where(c.kind == kind, *where)

    ranges = sa.union_all(
        rows(ALL, "controls"),
        rows(YEAR, "late", c.due_key < year),  # the earlier years,
        rows(MONTH, "late", c.due_key > year, c.due_key < month),  # this year's earlier months
        rows(DAY, "late", c.due_key > month, c.due_key < day),  # and this month's earlier days
        rows(DAY, "no_date", c.due_key == NO_DATE),
        rows(OWNER, "nobody", c.due_key == NO_DATE, c.owner_key == NOBODY),
        rows(OWNER, "nobody", c.due_key == NO_DATE, c.owner_key.in_(inactive)),  # one range per user
    ).subquery("kept")
    figures = [sa.func.sum(ranges.c[name]).label(name) for name in TALLY]
    return sa.select(ranges.c.department_id, ranges.c.status, *figures).group_by(
        ranges.c.department_id, ranges.c.status
    )


def tally_params(on: date) -> dict[str, str]:
    """control_tally's dates: `on` and its month and year, as the due keys spell them."""
    day = on.isoformat()
    return {f"tally_{kind}": day[:length] for kind, length in DUE_PREFIX.items()}
