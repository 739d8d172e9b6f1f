"""riskreg.reads: a statement of columns read on the session's connection sees what the session
holds pending (as Session.execute would), in the same transaction, and the same rows."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg import reads
from riskreg.extensions import db
from riskreg.sites.models import Site


def count_named(name: str) -> sa.Select:
    return sa.select(sa.func.count()).select_from(Site).where(Site.name == name)


def test_a_pending_change_is_flushed_and_read_back(app):
    db.session.add(Site(name="Kalana North", country="Mali"))  # pending: not flushed, not committed
    assert reads.scalar(count_named("Kalana North")) == 1
    db.session.rollback()  # the same transaction as the session's: the flushed row goes with it
    assert reads.scalar(count_named("Kalana North")) == 0


def test_inside_no_autoflush_nothing_is_flushed(app):
    db.session.add(Site(name="Kalana South", country="Mali"))
    with db.session.no_autoflush:
        assert reads.scalar(count_named("Kalana South")) == 0
    assert reads.scalar(count_named("Kalana South")) == 1
    db.session.rollback()


def test_the_same_rows_keys_and_types_as_the_session(app):
    db.session.add_all(
        [Site(name="B site", country="Ghana", active=False), Site(name="A site", country="Ghana")]
    )
    db.session.commit()
    stmt = sa.select(Site.id, Site.name, Site.active, Site.asm_presence).order_by(Site.name)
    from_session = db.session.execute(stmt).all()
    from_connection = reads.rows(stmt)
    assert from_connection == from_session and len(from_connection) >= 2
    assert [row._mapping.keys() for row in from_connection] == [row._mapping.keys() for row in from_session]
    assert [type(value) for value in from_connection[0]] == [type(value) for value in from_session[0]]


def test_rows_are_fetched_at_once_and_one_and_scalar_read_a_row_and_a_value(app):
    db.session.add_all([Site(name=f"Pit {n}", country="Ghana") for n in range(3)])
    db.session.commit()
    stmt = sa.select(Site.name).where(Site.name.like("Pit %")).order_by(Site.name)
    found = reads.rows(stmt)
    assert isinstance(found, list) and [row.name for row in found] == ["Pit 0", "Pit 1", "Pit 2"]
    assert reads.one(sa.select(sa.func.count()).select_from(Site).where(Site.name.like("Pit %"))) == (3,)
    assert reads.scalar(stmt) == "Pit 0"
