"""The full-text index: which text of which records is searchable, and the DDL that keeps it.

One home for the index, kept by the database itself in the writer's transaction, whoever writes:
the services, the bulk edits, the workbook import, the API and `flask seed scale` all insert with
plain SQL as well as through the ORM, and a trigger or an expression index cannot be forgotten by a
new writer.

- PostgreSQL: no copy of the text. Each table has a GIN index on the `to_tsvector('simple', ...)`
  of its document (the global search), and the register's risks a pg_trgm GIN index on title,
  description and ref (the register's q= is a substring search: "r-000", "50%", one letter).
- SQLite: one FTS5 table `search_fts` (trigram tokenizer: substring matches, ranked by bm25), filled
  by AFTER INSERT/UPDATE/DELETE triggers on each table. A row's rowid is KIND_BASE * code + id, so
  a kind is a rowid range and a record's entry is found by rowid.

The tables are not model objects (alembic's comparison cannot see FTS5 tables, triggers or
expression GIN indexes): create_all builds them through the metadata events below, migration 0018
through create_statements(). A later migration that rebuilds one of these tables on SQLite (batch
mode copies the table) must run create_statements("sqlite") again, or its triggers are lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from riskreg.extensions import db

FTS_TABLE = "search_fts"
KIND_BASE = 2**40  # ids stay far below this (riskreg.params.MAX_ID)
INDEX_PREFIX = "ix_search_"
TRIGGER_PREFIX = "search_"


@dataclass(frozen=True)
class Document:
    """What of a table is searchable: four SQL expressions over its columns (`{r}` is replaced by
    the row's prefix: `new.` in SQLite triggers, nothing in indexes and queries)."""

    kind: str
    code: int  # rowid range of the kind in search_fts; never reuse a code
    table: str
    ref: str
    title: str
    body: str
    notes: str
    columns: tuple[str, ...]  # columns whose update refreshes the entry

    def expressions(self, prefix: str = "") -> list[str]:
        return [part.format(r=prefix) for part in (self.ref, self.title, self.body, self.notes)]

    def tsvector(self) -> str:
        """The PostgreSQL document; queries must repeat this exact expression to use its index."""
        parts = " || ' ' || ".join(f"coalesce({part}, '')" for part in self.expressions())
        return f"to_tsvector('simple'::regconfig, {parts})"

    @property
    def low(self) -> int:
        return self.code * KIND_BASE

    @property
    def high(self) -> int:
        return (self.code + 1) * KIND_BASE - 1


def _join(*columns: str) -> str:
    return " || ' ' || ".join(f"coalesce({{r}}{column}, '')" for column in columns)


DOCUMENTS: dict[str, Document] = {
    doc.kind: doc
    for doc in (
        Document(
            "risk",
            1,
            "risks",
            "{r}ref",
            "{r}title",
            "{r}description",
            _join("cause", "consequence"),
            ("ref", "title", "description", "cause", "consequence"),
        ),
        Document(
            "control",
            2,
            "controls",
            "{r}ref",
            "{r}title",
            "{r}description",
            _join("critical_reason", "closing_note"),
            ("ref", "title", "description", "critical_reason", "closing_note"),
        ),
        Document(
            "site",
            3,
            "sites",
            "''",
            "{r}name",
            "{r}description",
            _join("country", "region", "commodity", "asm_presence_reason"),
            ("name", "description", "country", "region", "commodity", "asm_presence_reason"),
        ),
        Document(
            "requirement",
            4,
            "requirements",
            "{r}identifier",
            "{r}title",
            "{r}summary",
            _join("framework", "audit_evidence", "version_notes"),
            ("identifier", "title", "summary", "framework", "audit_evidence", "version_notes"),
        ),
        Document(
            "engagement",
            5,
            "engagements",
            "''",
            "''",
            "{r}topics",
            "{r}grievances",
            ("topics", "grievances"),
        ),
        Document(
            "observation",
            6,
            "asm_observations",
            "''",
            "{r}minerals",
            "{r}notes",
            "''",
            ("minerals", "notes"),
        ),
    )
}
# The register's q= (riskreg/risks/filters.py): these risk columns, as substrings.
REGISTER_COLUMNS = ("title", "description", "ref")


def _sqlite_statements() -> list[str]:
    # SQL text from the constants above only (no user input): S608 does not apply in this module.
    columns = "ref, title, body, notes"
    statements = [f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({columns}, tokenize='trigram')"]
    for doc in DOCUMENTS.values():
        name = f"{TRIGGER_PREFIX}{doc.table}"

        def insert(doc: Document = doc) -> str:
            values = ", ".join(doc.expressions("new."))
            return f"INSERT INTO {FTS_TABLE} (rowid, {columns}) VALUES (new.id + {doc.low}, {values});"  # noqa: S608

        delete = f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id + {doc.low};"  # noqa: S608
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {doc.table} BEGIN {insert()} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF {', '.join(doc.columns)} ON {doc.table} "
            f"BEGIN {delete} {insert()} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {doc.table} BEGIN {delete} END",
        ]
    return statements


def _sqlite_backfill() -> list[str]:
    return [
        f"INSERT INTO {FTS_TABLE} (rowid, ref, title, body, notes) "  # noqa: S608
        f"SELECT id + {doc.low}, {', '.join(doc.expressions())} FROM {doc.table}"
        for doc in DOCUMENTS.values()
    ]


def _postgresql_statements() -> list[str]:
    trigram = ", ".join(f"{column} gin_trgm_ops" for column in REGISTER_COLUMNS)
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX IF NOT EXISTS {INDEX_PREFIX}risks_substring ON risks USING gin ({trigram})",
        *(
            f"CREATE INDEX IF NOT EXISTS {INDEX_PREFIX}{doc.table}_text "
            f"ON {doc.table} USING gin (({doc.tsvector()}))"
            for doc in DOCUMENTS.values()
        ),
    ]


def create_statements(dialect: str, backfill: bool = False) -> list[str]:
    """DDL of the index for a schema whose tables exist; with backfill, filled from their rows
    (PostgreSQL's indexes fill themselves)."""
    if dialect == "sqlite":
        return _sqlite_statements() + (_sqlite_backfill() if backfill else [])
    if dialect == "postgresql":
        return _postgresql_statements()
    return []


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        triggers = [
            f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{doc.table}_{suffix}"
            for doc in DOCUMENTS.values()
            for suffix in ("ai", "au", "ad")
        ]
        return [*triggers, f"DROP TABLE IF EXISTS {FTS_TABLE}"]
    if dialect == "postgresql":
        names = ["risks_substring", *(f"{doc.table}_text" for doc in DOCUMENTS.values())]
        return [f"DROP INDEX IF EXISTS {INDEX_PREFIX}{name}" for name in names]
    return []


def not_search_index(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: leave the index's own objects out of autogenerate and the models-vs-
    migrations comparison (the FTS5 table and its shadow tables; the GIN indexes)."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "index":
        return not (name or "").startswith(INDEX_PREFIX)
    return True


@sa.event.listens_for(db.metadata, "after_create")
def _create(target: sa.MetaData, connection: sa.Connection, **kw: object) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(db.metadata, "before_drop")
def _drop(target: sa.MetaData, connection: sa.Connection, **kw: object) -> None:
    for statement in drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
