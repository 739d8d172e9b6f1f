"""The SQLite database, its WAL and SHM files, the secret key and the instance folder are readable by
riskreg's own user only, whatever the umask."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from riskreg import create_app
from riskreg.config import Config, instance_secret
from riskreg.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_config


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite files only")
def test_the_database_and_its_wal_and_shm_files_are_private(tmp_path, usual_umask):
    path = tmp_path / "riskreg.sqlite"
    app = create_app(make_config(sqlite_path=path))
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:  # a write, with the connection still open: -wal and -shm exist
            conn.execute(sa.text("INSERT INTO departments (name, description, active) VALUES ('X', '', 1)"))
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(f.exists() for f in files)
            assert {str(f.name): mode(f) for f in files} == {str(f.name): 0o600 for f in files}
        db.engine.dispose()


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite files only")
def test_an_existing_database_file_is_left_as_it_is(tmp_path, usual_umask):
    path = tmp_path / "riskreg.sqlite"
    path.touch(mode=0o640)
    app = create_app(make_config(sqlite_path=path))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert mode(path) == 0o640


def test_the_instance_folder_and_secret_key_are_private(tmp_path, usual_umask):
    instance = tmp_path / "var" / "instance"
    config = {key: getattr(Config, key) for key in dir(Config) if key.isupper()}
    Config.from_environment(config, str(instance))  # the default database lives in the instance folder
    assert mode(instance) == 0o700
    other = tmp_path / "other"
    instance_secret(str(other))
    assert mode(other) == 0o700 and mode(other / "secret_key") == 0o600
