# ruff: noqa: S608  (the trigger SQL is built from this module's constants and compiled rules only)
"""risk_cover: which risks have a treatment plan or an active acceptance, kept by triggers.

Coverage changes where no risk row changes: a control linked or unlinked, a control's status
crossing open/closed, an acceptance approved, expired or voided. Row triggers on those three
tables re-decide coverage for the risks a write touched, with the rule's own SQL
(riskreg.appetite.queries.covered_condition, compiled for the trigger), and add or remove the
risk's row. A row added or removed moves the risk's count in appetite_counts between "not
covered" and "covered" (the triggers on risk_cover below); edits of the risk itself move it
between keys there (riskreg.dashboard.counts.APPETITE). Each trigger runs in the writing
statement's transaction, on SQLite and PostgreSQL alike, so no writer can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

TABLE = "risk_cover"
COUNTS = "appetite_counts"
COUNT_KEY = ("category", "status", "direction", "band_rank", "covered")


def covered_sql(risk_id: str, dialect: sa.Dialect) -> str:
    """The coverage rule as SQL over a risk id expression (NEW.risk_id, r.id ...)."""
    from riskreg.appetite.queries import covered_condition

    condition = covered_condition(sa.literal_column(risk_id))
    return str(condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _open_sql(row: str) -> str:
    from riskreg.controls.models import OPEN_CONTROL_STATUSES

    return f"{row}.status IN ({', '.join(repr(status.value) for status in OPEN_CONTROL_STATUSES)})"


def _sync(ids: str, dialect: sa.Dialect) -> str:
    """Re-decide the coverage of the risks whose ids `ids` (an IN list or a SELECT) gives.

    On PostgreSQL the risks are locked first, in id order: two transactions that change one
    risk's coverage at once (one links an open control while the other closes the risk's last
    one) would each decide from a snapshot without the other's change, and the later would undo
    the earlier. Locked, the second waits and then decides from what the first committed; the
    lock also makes an edit of the risk wait, so its counts move under the coverage it will have.
    SQLite has one writer at a time."""
    insert = "INSERT OR IGNORE INTO" if dialect.name == "sqlite" else "INSERT INTO"
    conflict = "" if dialect.name == "sqlite" else " ON CONFLICT (risk_id) DO NOTHING"
    lock = (
        ""
        if dialect.name == "sqlite"
        else f"PERFORM 1 FROM (SELECT id FROM risks WHERE id IN ({ids}) "
        "ORDER BY id FOR NO KEY UPDATE) locked; "
    )
    return lock + (
        f"DELETE FROM {TABLE} WHERE risk_id IN ({ids}) "
        f"AND NOT ({covered_sql(f'{TABLE}.risk_id', dialect)}); "
        f"{insert} {TABLE} (risk_id) SELECT r.id FROM risks r WHERE r.id IN ({ids}) "
        f"AND ({covered_sql('r.id', dialect)}) "
        f"AND NOT EXISTS (SELECT 1 FROM {TABLE} c WHERE c.risk_id = r.id){conflict};"
    )


def _move(row: str, covered_now: int, dialect: sa.Dialect) -> str:
    """The risk of `row` (a risk_cover row) counts under covered = `covered_now`, not the other."""
    insert = "INSERT OR IGNORE INTO" if dialect.name == "sqlite" else "INSERT INTO"
    conflict = "" if dialect.name == "sqlite" else f" ON CONFLICT ({', '.join(COUNT_KEY)}) DO NOTHING"
    risk = "r.category, r.status, r.direction, r.residual_band_rank"
    steps = []
    # Always the "not covered" row first, then the "covered" one: two writers lock them in one order.
    for covered, delta in sorted(((covered_now, 1), (1 - covered_now, -1))):
        steps.append(
            f"{insert} {COUNTS} ({', '.join(COUNT_KEY)}, risk_count) "
            f"SELECT {risk}, {covered}, 0 FROM risks r WHERE r.id = {row}.risk_id{conflict}; "
            f"UPDATE {COUNTS} SET risk_count = risk_count + ({delta}) "
            f"WHERE ({', '.join(COUNT_KEY)}) = "
            f"(SELECT {risk}, {covered} FROM risks r WHERE r.id = {row}.risk_id);"
        )
    return " ".join(steps)


@dataclass(frozen=True)
class Watch:
    """A row trigger that re-decides coverage: on `table`, for `op`, of the risks `ids` names."""

    name: str
    table: str
    op: str  # INSERT | UPDATE OF ... | DELETE
    ids: str  # over NEW/OLD
    when: str | None = None

    def sqlite(self, dialect: sa.Dialect) -> str:
        when = f" WHEN {self.when}" if self.when else ""
        return (
            f"CREATE TRIGGER {self.name} AFTER {self.op} ON {self.table} FOR EACH ROW{when} "
            f"BEGIN {_sync(self.ids, dialect)} END"
        )

    def postgresql(self, dialect: sa.Dialect) -> list[str]:
        when = f" WHEN ({self.when})" if self.when else ""
        return [
            f"CREATE OR REPLACE FUNCTION {self.name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_sync(self.ids, dialect)} RETURN NULL; END $$;",
            f"CREATE TRIGGER {self.name} AFTER {self.op} ON {self.table} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION {self.name}()",
        ]


def _watches() -> list[Watch]:
    links, acceptances, both = "risk_controls", "risk_acceptances", "OLD.risk_id, NEW.risk_id"
    return [
        Watch("risk_cover_link_insert", links, "INSERT", "NEW.risk_id"),
        Watch("risk_cover_link_update", links, "UPDATE OF risk_id, control_id", both),
        Watch("risk_cover_link_delete", links, "DELETE", "OLD.risk_id"),
        Watch(
            "risk_cover_control_status",
            "controls",
            "UPDATE OF status",
            "SELECT risk_id FROM risk_controls WHERE control_id = NEW.id",
            f"({_open_sql('OLD')}) <> ({_open_sql('NEW')})",
        ),
        Watch("risk_cover_acceptance_insert", acceptances, "INSERT", "NEW.risk_id"),
        Watch("risk_cover_acceptance_update", acceptances, "UPDATE OF state, risk_id", both),
        Watch("risk_cover_acceptance_delete", acceptances, "DELETE", "OLD.risk_id"),
    ]


# risk_cover's own triggers (the counts follow its rows) and the one that drops a risk's row just
# before the risk goes, while the risk can still be read: its count leaves "covered" first, then
# the counts' own delete trigger takes it from "not covered".
MOVES = (("risk_cover_added", "INSERT", "NEW", 1), ("risk_cover_removed", "DELETE", "OLD", 0))
FORGET = "risk_cover_forget"


def _move_ddl(dialect: sa.Dialect) -> list[str]:
    if dialect.name != "postgresql":
        return [
            f"CREATE TRIGGER {name} AFTER {op} ON {TABLE} FOR EACH ROW "
            f"BEGIN {_move(row, covered, dialect)} END"
            for name, op, row, covered in MOVES
        ]
    statements = []
    for name, op, row, covered in MOVES:
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_move(row, covered, dialect)} RETURN NULL; END $$;",
            f"CREATE TRIGGER {name} AFTER {op} ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    return statements


def _watch_ddl(dialect: sa.Dialect) -> list[str]:
    if dialect.name != "postgresql":
        return [watch.sqlite(dialect) for watch in _watches()] + [
            f"CREATE TRIGGER {FORGET} BEFORE DELETE ON risks FOR EACH ROW "
            f"BEGIN DELETE FROM {TABLE} WHERE risk_id = OLD.id; END"
        ]
    statements = [statement for watch in _watches() for statement in watch.postgresql(dialect)]
    return statements + [
        f"CREATE OR REPLACE FUNCTION {FORGET}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN DELETE FROM {TABLE} WHERE risk_id = OLD.id; RETURN OLD; END $$;",
        f"CREATE TRIGGER {FORGET} BEFORE DELETE ON risks FOR EACH ROW EXECUTE FUNCTION {FORGET}()",
    ]


def ddl(dialect: sa.Dialect) -> list[str]:
    return _watch_ddl(dialect) + _move_ddl(dialect)


def _drops(dialect: sa.Dialect, triggers: list[tuple[str, str]]) -> list[str]:
    if dialect.name != "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name}" for name, _ in triggers]
    drops = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in triggers]
    return drops + [f"DROP FUNCTION IF EXISTS {name}()" for name, _ in triggers]


def _move_drops(dialect: sa.Dialect) -> list[str]:
    return _drops(dialect, [(name, TABLE) for name, *_ in MOVES])


def drop_ddl(dialect: sa.Dialect) -> list[str]:
    watched = [(watch.name, watch.table) for watch in _watches()] + [(FORGET, "risks")]
    return _drops(dialect, watched) + _move_drops(dialect)


def recount_sql(dialect: sa.Dialect) -> str:
    """The ids risk_cover should hold: the rule over every risk."""
    return f"SELECT r.id FROM risks r WHERE {covered_sql('r.id', dialect)}"


def rebuild(connection: sa.Connection) -> None:
    """risk_cover from the rule, in one statement; the appetite counts must be rebuilt after it
    (their triggers on risk_cover are left out meanwhile: a million row triggers would only move
    counts that the rebuild replaces)."""
    dialect = connection.dialect
    for statement in _move_drops(dialect):
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")
    connection.exec_driver_sql(f"INSERT INTO {TABLE} (risk_id) {recount_sql(dialect)}")
    for statement in _move_ddl(dialect):
        connection.exec_driver_sql(statement)


def install(connection: sa.Connection) -> None:
    for statement in drop_ddl(connection.dialect) + _watch_ddl(connection.dialect):
        connection.exec_driver_sql(statement)
    rebuild(connection)


def differences(connection: sa.Connection) -> int:
    """How many risks risk_cover has wrong (covered and missing, or held and not covered)."""
    held = {row[0] for row in connection.exec_driver_sql(f"SELECT risk_id FROM {TABLE}")}
    true = {row[0] for row in connection.exec_driver_sql(recount_sql(connection.dialect))}
    return len(held ^ true)
