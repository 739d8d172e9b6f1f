"""Behind RISKREG_PROXY_COUNT proxies each client has its own rate-limit bucket (ProxyFix), with
no proxy the forwarded header is ignored, and with Redis every worker counts in the same bucket."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from riskreg.auth.models import SignInThrottle
from riskreg.config import ROOT
from riskreg.extensions import db
from tests.conftest import make_config, running_app

REDIS_URL = os.environ.get("RISKREG_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute"}


def attempt(client, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    data = {"email": "nobody@example.com", "password": "wrong-wrong-wrong"}
    return client.post("/login", data=data, headers=headers).status_code


@pytest.fixture
def proxied_app(tmp_path):
    yield from running_app(tmp_path, PROXY_COUNT=1, **LIMITED)


@pytest.fixture
def direct_app(tmp_path):
    yield from running_app(tmp_path, PROXY_COUNT=0, **LIMITED)


def test_behind_the_proxy_each_client_has_its_own_bucket(proxied_app):
    first, second = proxied_app.test_client(), proxied_app.test_client()
    assert [attempt(first, "203.0.113.1") for _ in range(4)] == [200, 200, 200, 429]
    assert attempt(second, "203.0.113.2") == 200
    db.session.rollback()
    sources = set(db.session.scalars(sa.select(SignInThrottle.source)))
    assert sources == {"203.0.113.1", "203.0.113.2", "*"}  # the throttle sees the client too


def test_only_the_proxys_own_entry_is_trusted(proxied_app):
    """A client cannot pick its bucket: with one proxy, only the last address (added by it) counts."""
    client = proxied_app.test_client()
    statuses = [attempt(client, f"10.9.9.{n}, 203.0.113.1") for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_without_a_proxy_the_header_is_ignored(direct_app):
    first, second = direct_app.test_client(), direct_app.test_client()
    assert [attempt(first, "203.0.113.1") for _ in range(3)] == [200, 200, 200]
    assert attempt(second, "203.0.113.2") == 429  # the same address (the test client's) for both


def test_https_from_the_proxy_is_seen(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    connection.flushdb()  # this test database only
    yield connection
    connection.flushdb()
    connection.close()


WORKER = """
import json, os, sys
from riskreg import create_app
app = create_app(json.loads(os.environ["WORKER_CONFIG"]))
data = {"email": "nobody@example.com", "password": "wrong-wrong-wrong"}
print(json.dumps([app.test_client().post("/login", data=data).status_code for _ in range(3)]))
"""


def test_with_redis_every_worker_counts_in_one_bucket(tmp_path, redis_db):
    """Another process (a second gunicorn worker) spends the bucket; this one is then refused."""
    config = make_config(sqlite_path=tmp_path / "riskreg.sqlite", REDIS_URL=REDIS_URL, **LIMITED)
    for app in running_app(tmp_path, REDIS_URL=REDIS_URL, **LIMITED):
        assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
        worker_config = {key: value for key, value in config.items() if key == key.upper()}
        env = dict(os.environ, WORKER_CONFIG=json.dumps(worker_config, default=str))
        worker = subprocess.run(
            [sys.executable, "-c", WORKER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert worker.returncode == 0, worker.stderr
        assert json.loads(worker.stdout.strip().splitlines()[-1]) == [200, 200, 200]
        assert attempt(app.test_client()) == 429
        assert redis_db.dbsize() > 0


def test_an_explicit_storage_uri_wins_over_redis(tmp_path):
    for app in running_app(tmp_path, REDIS_URL=REDIS_URL, RATELIMIT_STORAGE_URI="memory://"):
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
