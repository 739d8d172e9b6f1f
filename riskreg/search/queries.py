"""Reading the full-text index: the header's search across kinds, and the register's q= condition.

User text never reaches the full-text syntax as syntax: it is cut into words (PostgreSQL) or
quoted phrases (SQLite FTS5), so quotes, NEAR, *, -, and parentheses are just characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.search.index import DOCUMENTS, FTS_TABLE, Document
from riskreg.text import LIKE_ESCAPE, contains_pattern

MAX_QUERY = 200  # characters, as the register's q=
MAX_TERMS = 8
PER_KIND = 20
MIN_TRIGRAM = 3  # FTS5's trigram tokenizer matches nothing shorter
# bm25 weights of the FTS5 columns ref, title, body, notes (PostgreSQL: ts_rank's defaults)
WEIGHTS = (10.0, 5.0, 1.0, 0.5)

_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.BigInteger), sa.column(FTS_TABLE))


def dialect() -> str:
    return db.session.get_bind().dialect.name


def _phrase(text: str) -> str:
    """An FTS5 string: every character literal, double quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# the register's q=: a case-insensitive substring of the title, description or ref
def register_values(needle: str) -> dict[str, str]:
    """What the register's q= condition matches `needle` with, by bind parameter name: the LIKE
    pattern (PostgreSQL; SQLite under a trigram, in lower case), else SQLite's FTS5 query."""
    pattern = contains_pattern(needle)
    if dialect() == "postgresql":  # ILIKE '%..%' is what the pg_trgm GIN index serves
        return {"risk_q_pattern": pattern}
    if len(needle) < MIN_TRIGRAM:  # too short for a trigram: the plain scan, as exact
        return {"risk_q_pattern": pattern.lower()}
    return {"risk_q_match": "{" + " ".join(("ref", "title", "body")) + "} : " + _phrase(needle)}


def register_shape(needle: str) -> str:
    """A stand-in for `needle` giving register_condition the same SQL: only its length matters."""
    return "*" * min(len(needle), MIN_TRIGRAM)


def register_condition(
    needle: str, risk_id: Any, columns: dict[str, Any], *, bind: bool = False
) -> sa.ColumnElement[bool]:
    """Risks whose title, description or ref contains `needle` (any case), served by the index.

    `columns` are the risk table's title, description and ref columns (passed in: riskreg.risks
    imports this module, not the reverse). With `bind`, the pattern and the FTS5 query are the
    bind parameters register_values() names, not values."""
    values = register_values(needle)
    if bind:
        values = {name: sa.bindparam(name, type_=sa.String) for name in values}
    if "risk_q_match" not in values:
        pattern = values["risk_q_pattern"]
        if dialect() == "postgresql":
            return sa.or_(*(column.ilike(pattern, escape=LIKE_ESCAPE) for column in columns.values()))
        return sa.or_(
            *(sa.func.lower(column).like(pattern, escape=LIKE_ESCAPE) for column in columns.values())
        )
    doc = DOCUMENTS["risk"]
    ids = (
        sa.select(_fts.c.rowid - doc.low)
        .where(_fts.c[FTS_TABLE].op("MATCH")(values["risk_q_match"]), _fts.c.rowid.between(doc.low, doc.high))
        .scalar_subquery()
    )
    return risk_id.in_(ids)


# ---------------------------------------------------------------------------------------------
# the header's search
@dataclass
class Hit:
    kind: str
    id: int
    rank: float


@dataclass
class SearchResults:
    q: str
    terms: list[str]
    hits: dict[str, list[Hit]] = field(default_factory=dict)  # kind -> best first
    message: str | None = None  # why nothing was searched

    @property
    def total(self) -> int:
        return sum(len(hits) for hits in self.hits.values())


def terms_of(q: str) -> list[str]:
    """The words searched for, every one required: the whitespace-separated chunks without the
    punctuation around them ("-mercury", "(mercury"; inside a word it stays: "R-0001"). SQLite
    matches each as a literal substring of at least three characters; PostgreSQL parses each as
    its documents are parsed and matches the words as prefixes."""
    chunks = (re.sub(r"^[\W_]+|[\W_]+$", "", chunk) for chunk in q.split())
    shortest = MIN_TRIGRAM if dialect() == "sqlite" else 1
    words = [chunk for chunk in chunks if len(chunk) >= shortest]
    return list(dict.fromkeys(word.lower() for word in words))[:MAX_TERMS]


def search(q: str, kinds: list[str], per_kind: int = PER_KIND) -> SearchResults:
    """The best `per_kind` records of each kind that contain every term, best first."""
    q = q.strip()
    if not q:
        return SearchResults(q, [], message=_("Type a word to search for."))
    if len(q) > MAX_QUERY:
        return SearchResults(
            q[:MAX_QUERY], [], message=_("Search for at most %(max)s characters.", max=MAX_QUERY)
        )
    terms = terms_of(q)
    if not terms:
        return SearchResults(q, [], message=_("Type at least three letters or digits."))
    results = SearchResults(q, terms)
    rank = _rank_postgresql if dialect() == "postgresql" else _rank_sqlite
    for kind in kinds:
        hits = rank(DOCUMENTS[kind], terms, per_kind)
        if hits:
            results.hits[kind] = hits
    return results


def _rank_postgresql(doc: Document, terms: list[str], limit: int) -> list[Hit]:
    # Each term quoted (so nothing in it is an operator), parsed as the documents are, as prefixes.
    quoted = (term.replace("\\", "\\\\").replace("'", "''") for term in terms)
    query = sa.func.to_tsquery(
        sa.literal_column("'simple'::regconfig"), " & ".join(f"'{term}':*" for term in quoted)
    )
    vector = sa.literal_column(doc.tsvector())  # the indexed expression, to the character
    rank = sa.func.ts_rank(vector, query).label("rank")
    id_ = sa.literal_column("id")
    stmt = (
        sa.select(id_, rank)
        .select_from(sa.table(doc.table))
        .where(vector.op("@@")(query))
        .order_by(rank.desc(), id_)
        .limit(limit)
    )
    return [Hit(doc.kind, row[0], float(row[1])) for row in db.session.execute(stmt)]


def _rank_sqlite(doc: Document, terms: list[str], limit: int) -> list[Hit]:
    match = " ".join(_phrase(term) for term in terms)  # FTS5: all of them
    rank = sa.func.bm25(_fts.c[FTS_TABLE], *WEIGHTS).label("rank")  # lower is better
    stmt = (
        sa.select(_fts.c.rowid, rank)
        .where(_fts.c[FTS_TABLE].op("MATCH")(match), _fts.c.rowid.between(doc.low, doc.high))
        .order_by(rank, _fts.c.rowid)
        .limit(limit)
    )
    return [Hit(doc.kind, row[0] - doc.low, -float(row[1])) for row in db.session.execute(stmt)]
