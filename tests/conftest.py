"""Fixtures: the app on a real database (SQLite, or PostgreSQL when RISKREG_TEST_DATABASE_URL is
set), clients signed in as each role, and factories for users and risks."""

from __future__ import annotations

import atexit
import hashlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from riskreg import create_app
from riskreg.auth import services as auth_services
from riskreg.auth.models import Role, User
from riskreg.config import TestConfig
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks import services as risk_services
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment
from riskreg.seeding.reference import load_departments
from riskreg.sites.models import Site
from tests.api_support import api  # noqa: F401  (API clients with a bearer token)
from tests.mail_support import smtp  # noqa: F401  (the loopback SMTP server, for every test)

PASSWORD = "correct horse battery staple"


def worker_database_url(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (riskreg_test_gw0, ...),
    created on first use; the tests empty and rebuild schemas, so workers must not share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url.startswith("postgresql") or not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def compile_stale_catalogues() -> None:
    """`make install` compiles the catalogues; a pytest run without it compiles the stale ones here,
    each written to a temporary file and moved into place (xdist workers may do this at once)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    translations = Path(__file__).resolve().parent.parent / "riskreg" / "translations"
    for po in translations.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with open(po, "rb") as source:
            messages = read_po(source, locale=po.parent.parent.name)
        handle, scratch = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, messages)
        os.replace(scratch, mo)


compile_stale_catalogues()

TEST_DATABASE_URL = worker_database_url(os.environ.get("RISKREG_TEST_DATABASE_URL", ""))


def make_config(**overrides: Any) -> dict[str, Any]:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = TEST_DATABASE_URL or "sqlite://"
    if "sqlite_path" in overrides:
        path = overrides.pop("sqlite_path")
        if not TEST_DATABASE_URL:
            config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if TEST_DATABASE_URL:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    config.update(overrides)
    return config


# A table (test_schema_fingerprint) that only `reset_schema` creates, holding a fingerprint of the
# models it built: while it is there and matches, the schema is the models' own and emptying the
# tables is enough. Tests that drop the schema (the migration tests) drop it too; a database left
# by older models fails to match.
_fingerprint: list[str] = []


def models_fingerprint() -> str:
    if not _fingerprint:
        from sqlalchemy.schema import CreateIndex, CreateTable

        dialect = db.engine.dialect
        ddl = [str(CreateTable(table).compile(dialect=dialect)) for table in db.metadata.sorted_tables]
        ddl += [
            str(CreateIndex(index).compile(dialect=dialect))
            for table in db.metadata.sorted_tables
            for index in sorted(table.indexes, key=lambda index: index.name or "")
        ]
        from riskreg.dashboard import counts

        ddl += counts.ddl(dialect.name)  # a changed trigger is a changed schema too
        _fingerprint.append(hashlib.sha256("\n".join(ddl).encode()).hexdigest())
    return _fingerprint[0]


def reset_schema() -> None:
    """Start every test from an empty schema built from the models.

    PostgreSQL keeps tables between tests: building them again costs ~0.3 s a test, so while the
    stamp shows the schema is the current models' own, the tables are truncated instead.
    """
    if db.engine.dialect.name != "postgresql":
        db.create_all()
        return
    fingerprint = models_fingerprint()
    with db.engine.begin() as conn:
        if conn.scalar(sa.text("SELECT to_regclass('public.test_schema_fingerprint') IS NOT NULL")) and (
            conn.scalar(sa.text("SELECT fingerprint FROM test_schema_fingerprint")) == fingerprint
        ):
            tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    db.create_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE test_schema_fingerprint (fingerprint text NOT NULL)"))
        conn.execute(sa.text("INSERT INTO test_schema_fingerprint VALUES (:value)"), {"value": fingerprint})


_sqlite_template: list[Path] = []


def sqlite_from_template(path: Path) -> None:
    """Copy an empty schema into `path` (creating the tables afresh costs ~60 ms a test)."""
    if not _sqlite_template:
        folder = Path(tempfile.mkdtemp(prefix="riskreg-schema-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "template.sqlite"
        import riskreg.models  # noqa: F401  (every table, as the app factory imports them)

        engine = sa.create_engine(f"sqlite:///{template}")
        db.metadata.create_all(engine)
        engine.dispose()
        _sqlite_template.append(template)
    shutil.copyfile(_sqlite_template[0], path)


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The fixture keeps an app context open for the test's own database work; without this, requests
    would share its `g` (and Flask-Login's cached user) and its session.
    """

    def open(self, *args: Any, **kwargs: Any):
        # End the test's own transaction first: a request must not wait on its locks, and the test
        # must not keep reading an old snapshot after the request commits.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def running_app(tmp_path, **overrides: Any) -> Iterator[Flask]:
    """An app on a fresh schema with the standard departments, its context pushed for the test."""
    # A file, not ":memory:": requests and the test talk over separate connections, as in production.
    if not TEST_DATABASE_URL:
        sqlite_from_template(tmp_path / "riskreg.sqlite")
    app = create_app(
        make_config(
            UPLOAD_DIR=str(tmp_path / "uploads"), sqlite_path=tmp_path / "riskreg.sqlite", **overrides
        )
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        reset_schema()
        load_departments()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    yield from running_app(tmp_path)


@pytest.fixture
def csrf_app(tmp_path) -> Iterator[Flask]:
    """CSRF protection on, as in production (the other tests post without tokens)."""
    yield from running_app(tmp_path, WTF_CSRF_ENABLED=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


_emails = itertools.count(1)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    def make(role: Role | str = Role.RISK_MANAGER, department: str | None = None, **over: Any) -> User:
        role = Role(role)
        if role is Role.DEPARTMENT_HEAD and department is None:
            department = "Security"
        user = auth_services.create_user(
            email=over.pop("email", f"user{next(_emails)}@example.com"),
            name=over.pop("name", f"{role.label} {next(_emails)}"),
            role=role,
            password=over.pop("password", PASSWORD),
            department=department,
        )
        for key, value in over.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(app: Flask) -> Callable[..., FlaskClient]:
    """A new client signed in through the real form."""

    def sign_in(user: User, password: str = PASSWORD) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def users(make_user) -> dict[str, User]:
    return {
        "admin": make_user(Role.ADMIN, name="Ada Admin"),
        "risk_manager": make_user(Role.RISK_MANAGER, name="Rhea Risk"),
        "department_head": make_user(Role.DEPARTMENT_HEAD, department="Security", name="Sam Security"),
        "executive": make_user(Role.EXECUTIVE, name="Eve Exec"),
    }


@pytest.fixture
def clients(users, login) -> dict[str, FlaskClient]:
    return {role: login(user) for role, user in users.items()}


@pytest.fixture
def make_site(app: Flask) -> Callable[..., Site]:
    counter = itertools.count(1)

    def make(**over: Any) -> Site:
        site = Site(
            name=over.pop("name", f"Site {next(counter)}"), country=over.pop("country", "Ghana"), **over
        )
        db.session.add(site)
        db.session.commit()
        return site

    return make


def risk_values(owner_id: int, **over: Any) -> dict[str, Any]:
    """A valid risk's values as risks.services.create_risk takes them (typed, not a form post)."""
    data = {
        "title": "ASM encroachment on the northern lease",
        "description": "Pits opened inside the lease.",
        "cause": "High gold price",
        "consequence": "Lost ore",
        "site_id": None,
        "direction": Direction.TO_COMPANY,
        "category": "Land Access & Tenure",
        "impact_area": ImpactArea.SOCIAL,
        "owner_id": owner_id,
        "inherent_likelihood": 4,
        "inherent_impact": 4,
        "residual_likelihood": 3,
        "residual_impact": 3,
        "treatment": Treatment.REDUCE,
        "status": RiskStatus.OPEN,
    }
    data.update(over)
    return data


@pytest.fixture
def make_risk(app: Flask, users) -> Callable[..., Risk]:
    def make(**over: Any) -> Risk:
        data = risk_values(**{"owner_id": users["risk_manager"].id, **over})
        risk = risk_services.create_risk(data, actor=users["risk_manager"])
        db.session.commit()
        return risk

    return make


def department_id(name: str) -> int:
    return db.session.scalar(sa.select(Department.id).where(Department.name == name))


def risk_form(**over: Any) -> dict[str, Any]:
    """A valid risk form post, field names as in DESIGN.md §4."""
    data = {
        "title": "Mercury use in ASM processing upstream",
        "description": "Amalgamation observed at three pits.",
        "cause": "Whole-ore amalgamation",
        "consequence": "Downstream exposure",
        "site_id": "",
        "direction": "to_communities",
        "category": "Environment",
        "impact_area": "environment",
        "inherent_likelihood": "4",
        "inherent_impact": "4",
        "residual_likelihood": "3",
        "residual_impact": "3",
        "target_likelihood": "",
        "target_impact": "",
        "target_date": "",
        "treatment": "reduce",
        "status": "open",
        "trend": "",
        "next_review_date": "2027-03-01",
    }
    data.update(over)
    return data


@contextmanager
def statements(sql_only: bool = False) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (requests included), to check that a page's
    query count does not grow with the data; `sql_only` leaves out BEGIN/COMMIT and the like."""
    seen: list[str] = []
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

    def record(conn, cursor, statement, *args) -> None:
        if not (sql_only and statement.lstrip().upper().startswith(control)):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def text_of(response) -> str:
    """The page's text with tags removed and spaces collapsed (for readable assertions)."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
