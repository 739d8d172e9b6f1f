"""Two riskreg hosts for tests: two gunicorn instances (wsgi.py, gunicorn.conf.py) on two free
loopback ports, sharing one PostgreSQL database and one Redis, as behind a load balancer.

What the hosts share is only what production hosts share: RISKREG_SECRET_KEY, the database and
Redis. Each has its own upload folder and its own metrics folder, so a test passes only if nothing
it relies on lives on one host's disk or in one host's memory.

Fixtures for test modules (tests/test_multihost.py uses them; later tests add journeys the same way):
- `cluster`: the two running hosts (module scope); `cluster.a.url`, `cluster.b.url`, `cluster.urls`.
- `host_urls`: the two base URLs, (a, b).
- `browser`: a factory of requests.Session objects, each a distinct client (its own address in
  X-Forwarded-For, as the load balancer would set it), optionally signed in:
  `browser()`, `browser(sign_in=user, at=cluster.a.url)`.
- `make_person`: creates a user in the shared database and returns it (password PASSWORD).
- `db_app`: an app context in the test process on the same database, for setting up data.
- `multihost_env`: extra environment for both hosts (default none). A module overrides it to
  change what the hosts run with, e.g. `RISKREG_STORAGE=database` for evidence served by either
  host; `cluster.run_beside("worker", [...])` starts another process with the hosts' shared
  settings (a job worker, say), stopped with the hosts.

The hosts are started only when RISKREG_TEST_DATABASE_URL is a PostgreSQL URL (SQLite is one
machine's file, not a database two hosts share) and Redis answers at RISKREG_TEST_MULTIHOST_REDIS_URL
(default redis://127.0.0.1:6379/3, a database these tests empty).
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from riskreg.config import ROOT
from tests.edit_forms import form_of

DATABASE_URL = os.environ.get("RISKREG_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("RISKREG_TEST_MULTIHOST_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "correct horse battery staple"
METRICS_TOKEN = "multihost-" + secrets.token_hex(16)
LOGIN_LIMIT = 3  # sign-in attempts per client address per minute, counted in Redis by every host
WORKERS = 2
START_SECONDS = 90
BIN = Path(sys.executable).parent


def why_not() -> str | None:
    """The reason these tests cannot run here, or None."""
    if not DATABASE_URL.startswith("postgresql"):
        return "needs RISKREG_TEST_DATABASE_URL=postgresql+psycopg://... (two hosts share one PostgreSQL)"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"needs Redis at {REDIS_URL} (RISKREG_TEST_MULTIHOST_REDIS_URL): {error}"
    if not (BIN / "gunicorn").exists():
        return f"needs gunicorn beside {sys.executable}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Host:
    """One gunicorn instance: its base URL, process and log (JSON lines, one per request)."""

    name: str
    url: str
    process: subprocess.Popen
    log: Path

    def log_entries(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
        return entries

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Cluster:
    a: Host
    b: Host
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    others: list[Host] = field(default_factory=list)

    def run_beside(self, name: str, argv: list[str]) -> Host:
        """Start another process (a job worker, say) with the hosts' shared settings; its output
        is kept in its log, and it is stopped with the hosts."""
        (self.folder / name).mkdir(exist_ok=True)
        log = self.folder / name / "process.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, cwd=ROOT, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )
        other = Host(name, "", process, log)
        self.others.append(other)
        return other

    @property
    def urls(self) -> tuple[str, str]:
        return self.a.url, self.b.url

    @property
    def hosts(self) -> tuple[Host, Host]:
        return self.a, self.b

    def stop(self) -> None:
        for host in (*self.others, *self.hosts):
            host.stop()


def host_env(folder: Path, name: str, shared: dict[str, str]) -> dict[str, str]:
    own = folder / name
    (own / "uploads").mkdir(parents=True)
    (own / "metrics").mkdir()
    return {
        **os.environ,
        **shared,
        "RISKREG_UPLOAD_DIR": str(own / "uploads"),
        "PROMETHEUS_MULTIPROC_DIR": str(own / "metrics"),
        "RISKREG_WORKERS": str(WORKERS),
    }


def shared_env() -> dict[str, str]:
    return {
        "RISKREG_DATABASE_URL": DATABASE_URL,
        "RISKREG_SECRET_KEY": secrets.token_hex(32),
        "RISKREG_REDIS_URL": REDIS_URL,
        "RISKREG_METRICS_TOKEN": METRICS_TOKEN,
        "RISKREG_RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
        "RISKREG_PROXY_COUNT": "1",  # the test's clients say who they are in X-Forwarded-For
        "RISKREG_LOG_FORMAT": "json",
        "RISKREG_SMTP_HOST": "127.0.0.1",
        "RISKREG_SMTP_PORT": str(free_port()),  # nothing listens: mails stay queued, pages still work
        "RISKREG_MAIL_TIMEOUT": "2",
    }


def build_schema(env: dict[str, str]) -> None:
    """An empty schema, then `flask db upgrade` as an operator would run it."""
    import sqlalchemy as sa

    engine = sa.create_engine(DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    for args in (["db", "upgrade"], ["seed", "departments"]):
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"flask {' '.join(args)}: {done.stderr[-3000:]}"


def start_host(name: str, env: dict[str, str], folder: Path) -> Host:
    port = free_port()
    log = folder / name / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Host(name, f"http://127.0.0.1:{port}", process, log)


def wait_until_serving(host: Host) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if host.process.poll() is not None:
            break
        try:
            if requests.get(host.url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.3)
    host.stop()
    raise AssertionError(f"host {host.name} did not start:\n{host.log.read_text(errors='replace')[-4000:]}")


def empty_redis() -> None:
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()  # this test database only
    connection.close()


def start_cluster(folder: Path, extra_env: dict[str, str] | None = None) -> Cluster:
    shared = {**shared_env(), **(extra_env or {})}
    env_a, env_b = host_env(folder, "a", shared), host_env(folder, "b", shared)
    build_schema(env_a)
    empty_redis()
    a, b = start_host("a", env_a, folder), start_host("b", env_b, folder)
    try:
        wait_until_serving(a)
        wait_until_serving(b)
    except AssertionError:
        a.stop()
        b.stop()
        raise
    return Cluster(a, b, folder, shared)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def multihost_env() -> dict[str, str]:
    """Extra settings for both hosts; override this fixture in a test module to change them."""
    return {}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, multihost_env) -> Iterator[Cluster]:
    reason = why_not()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("multihost")
    running = start_cluster(folder, multihost_env)
    try:
        yield running
    finally:
        running.stop()
        empty_redis()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def host_urls(cluster: Cluster) -> tuple[str, str]:
    return cluster.urls


@pytest.fixture(scope="module")
def db_app(cluster: Cluster):
    """The test process's own app on the hosts' database (same secret key), for setting up data."""
    from riskreg import create_app
    from riskreg.config import TestConfig
    from riskreg.extensions import db

    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=DATABASE_URL, SECRET_KEY=cluster.env["RISKREG_SECRET_KEY"])
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


_people = itertools.count(1)
_addresses = itertools.count(1)


@pytest.fixture
def make_person(db_app) -> Callable[..., Any]:
    from riskreg.auth import services
    from riskreg.auth.models import Role
    from riskreg.extensions import db

    def make(role: str = "risk_manager", department: str | None = None):
        number = next(_people)
        user = services.create_user(
            email=f"host-user-{number}-{secrets.token_hex(3)}@example.com",
            name=f"Host User {number}",
            role=Role(role),
            password=PASSWORD,
            department=department or ("Security" if role == "department_head" else None),
        )
        db.session.commit()
        return user

    return make


def client_address() -> str:
    """A distinct documentation-range address per client: each has its own rate-limit bucket."""
    n = next(_addresses)
    return f"198.18.{n // 250}.{n % 250 + 1}"


def new_session(address: str | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address or client_address()
    return session


def csrf_form(session: requests.Session, url: str, marker: str = "") -> dict[str, Any]:
    """GET a page and read its form (CSRF token included), as a browser would post it."""
    response = session.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    return form_of(response.text, marker)


def sign_in(
    session: requests.Session, base_url: str, email: str, password: str = PASSWORD
) -> requests.Response:
    form = csrf_form(session, base_url + "/login")
    form.update(email=email, password=password)
    return session.post(base_url + "/login", data=form, allow_redirects=False, timeout=30)


@pytest.fixture
def browser(cluster: Cluster) -> Iterator[Callable[..., requests.Session]]:
    """browser(sign_in=user, at=url) -> a requests.Session (a client of its own), signed in there."""
    sessions: list[requests.Session] = []

    def make(sign_in_as: Any = None, at: str | None = None, address: str | None = None) -> requests.Session:
        session = new_session(address)
        sessions.append(session)
        if sign_in_as is not None:
            response = sign_in(session, at or cluster.a.url, sign_in_as.email)
            assert response.status_code == 302, (response.status_code, response.text[-2000:])
        return session

    yield make
    for session in sessions:
        session.close()


def metrics_of(base_url: str) -> str:
    response = requests.get(
        base_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    )
    assert response.status_code == 200, response.status_code
    return response.text
