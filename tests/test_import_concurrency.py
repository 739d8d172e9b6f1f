"""Two imports confirmed at once over the same risks, in opposite row order: both finish, one applies
and the other is shown the new preview (then applies), never a 500 and never half of a file.

On PostgreSQL, writing rows in file order deadlocked: each confirm held the row the other wanted
next. Rows are now locked in id order, so the second waits for the first and then sees that the
register moved on. On SQLite the write lock serialises the two; the same test shows the same end.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from riskreg.dbfaults import Fault, classify
from riskreg.extensions import db
from riskreg.imports import services as import_services
from riskreg.risks.models import Risk
from tests.conftest import text_of
from tests.xlsx_files import edited, export, set_cell, token_of, upload

STALE = "The register changed since your preview."


def file_renaming(client, refs: list[str], title: str) -> bytes:
    """An export with the risks renamed, rows in the order of `refs`."""

    def change(ws):
        by_ref = {row[0].value: [cell.value for cell in row] for row in ws.iter_rows(min_row=2)}
        ws.delete_rows(2, ws.max_row)
        for ref in refs:
            ws.append(by_ref[ref])
        for ref in refs:
            set_cell(ws, ref, "Title", f"{title} {ref}")

    return edited(export(client), change)


def first_updates_meet(engine: sa.Engine, timeout: float = 3.0):
    """Hold each confirm after its first UPDATE of risks until the other has made its own (or the
    timeout passed): the interleaving in which file-order writes deadlock."""
    barrier = threading.Barrier(2, timeout=timeout)
    seen = threading.local()

    def after(conn, cursor, statement, *args) -> None:
        if statement.lstrip().startswith("UPDATE risks") and not getattr(seen, "done", False):
            seen.done = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # the other confirm is waiting for this one's locks: go on

    sa.event.listen(engine, "after_cursor_execute", after)
    return lambda: sa.event.remove(engine, "after_cursor_execute", after)


# The reader silences openpyxl's warnings with catch_warnings, which two threads reading at once
# can leave crossed: pytest's "warnings are errors" would then fail the read.
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_two_imports_over_the_same_risks_in_opposite_order(app, clients, make_risk):
    risks = [make_risk(title=f"Risk {n}") for n in range(3)]
    refs = [r.ref for r in risks]
    a, b = clients["risk_manager"], clients["admin"]
    token_a = token_of(upload(a, file_renaming(a, refs, "A")))
    token_b = token_of(upload(b, file_renaming(b, refs[::-1], "B")))
    responses, failures = {}, []

    def confirm(name, client, token) -> None:
        try:
            with app.app_context():
                responses[name] = client.post("/import/confirm", data={"token": token})
        except Exception as error:  # noqa: BLE001 (a 500 in the test client: the test fails below)
            failures.append((name, repr(error)))

    stop = first_updates_meet(db.engine)
    try:
        threads = [
            threading.Thread(target=confirm, args=("a", a, token_a)),
            threading.Thread(target=confirm, args=("b", b, token_b)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        stop()
    assert not failures, failures
    codes = sorted(response.status_code for response in responses.values())
    assert codes == [200, 302], {name: text_of(r)[:300] for name, r in responses.items()}
    applied = next(name for name, r in responses.items() if r.status_code == 302)
    told = next(name for name, r in responses.items() if r.status_code == 200)
    assert STALE in text_of(responses[told]) and "Nothing was imported" in text_of(responses[told])
    db.session.rollback()
    titles = {r.ref: r.title for r in db.session.scalars(sa.select(Risk))}
    assert titles == {ref: f"{applied.upper()} {ref}" for ref in refs}  # all of one file, none of the other
    # The one told to preview again confirms the new preview: now its file applies, whole.
    again = (a if told == "a" else b).post("/import/confirm", data={"token": token_of(responses[told])})
    assert again.status_code == 302
    db.session.rollback()
    assert {r.ref: r.title for r in db.session.scalars(sa.select(Risk))} == {
        ref: f"{told.upper()} {ref}" for ref in refs
    }


def real_clash() -> sa.exc.DBAPIError:
    """What a confirm gets when another writer holds what it needs: on PostgreSQL a deadlock, on
    SQLite the write lock still held after the busy timeout."""
    if db.engine.dialect.name == "postgresql":
        return real_deadlock()
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=100")
            conn.execute(sa.text("UPDATE risks SET title = title"))
    except sa.exc.DBAPIError as error:
        return error
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    raise AssertionError("the write lock was not in the way")


def real_deadlock() -> sa.exc.DBAPIError:
    """Two connections that each lock a row the other then wants: the database picks a victim."""
    ids = [r.id for r in db.session.scalars(sa.select(Risk).order_by(Risk.id))]
    errors: list[sa.exc.DBAPIError] = []
    locked, engine = threading.Barrier(2, timeout=10), db.engine

    def worker(mine: int, theirs: int) -> None:
        with engine.connect() as conn:
            try:
                conn.execute(sa.text("UPDATE risks SET title = title WHERE id = :id"), {"id": mine})
                locked.wait()
                conn.execute(sa.text("UPDATE risks SET title = title WHERE id = :id"), {"id": theirs})
            except sa.exc.DBAPIError as error:
                errors.append(error)
            conn.rollback()

    threads = [threading.Thread(target=worker, args=pair) for pair in ((ids[0], ids[1]), (ids[1], ids[0]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors[0]


def test_a_clash_while_applying_shows_the_new_preview(app, clients, make_risk, monkeypatch):
    """Should the database still pick this confirm as a deadlock's victim (or SQLite's lock stay
    taken), the person is told that the register changed and shown the new preview, never a 500."""
    risks = [make_risk(title=f"Risk {n}") for n in range(2)]
    db.session.commit()
    error = real_clash()
    assert classify(error) is (Fault.CLASH if db.engine.dialect.name == "postgresql" else Fault.BUSY)
    client = clients["risk_manager"]
    token = token_of(upload(client, file_renaming(client, [r.ref for r in risks], "A")))

    def victim(*args, **kwargs):
        raise error

    monkeypatch.setattr(import_services, "apply_plan", victim)
    response = client.post("/import/confirm", data={"token": token})
    assert response.status_code == 200 and STALE in text_of(response)
    assert token_of(response)  # a new preview to confirm
    db.session.rollback()
    assert {r.title for r in db.session.scalars(sa.select(Risk))} == {"Risk 0", "Risk 1"}
