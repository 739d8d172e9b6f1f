"""The benchmark only ever writes into scratch databases it created itself."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from riskreg.config import ROOT

sys.path.insert(0, str(ROOT / "bench"))


def test_refuses_a_database_it_did_not_create(tmp_path, monkeypatch):
    import run

    monkeypatch.setattr(run, "DATA", tmp_path)
    path = tmp_path / "bench-50.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE precious (id INTEGER PRIMARY KEY)")
    with pytest.raises(SystemExit, match="did not create"):
        run.ensure_database(None, 50, rebuild=False)
    with sqlite3.connect(path) as conn:  # untouched
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("precious",)]


def test_builds_marks_and_reuses_its_own_scratch_database(tmp_path, monkeypatch):
    import run

    monkeypatch.setattr(run, "DATA", tmp_path)
    url, seconds = run.ensure_database(None, 20, rebuild=False)
    assert seconds is not None and run.read_marker(url) == {"size": 20}
    again, seconds_again = run.ensure_database(None, 20, rebuild=False)
    assert again == url and seconds_again is None  # reused, not rebuilt
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT count(*) FROM risks").fetchone() == (20,)


def test_the_import_benchmark_applies_its_file_and_leaves_the_register_as_it_was(tmp_path, monkeypatch):
    import imports
    import run

    monkeypatch.setattr(run, "DATA", tmp_path)
    url, _ = run.ensure_database(None, 20, rebuild=False)
    result = imports.run_import(url, rows=20, runs=2)
    assert result["rows"] == 20 and result["runs"] == 2
    assert result["statements"] >= 6 and 0 < result["floor_seconds"] and 0 < result["seconds"]
    assert "| 20 |" in imports.report(result, "SQLite", "machine")
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:  # every run was rolled back
        assert conn.execute("SELECT count(*) FROM risks").fetchone() == (20,)
        assert conn.execute("SELECT count(*) FROM risks WHERE title LIKE '%(reviewed)'").fetchone() == (0,)
