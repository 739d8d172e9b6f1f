"""/healthz is liveness (touches nothing); /healthz?ready checks the database, Redis when
configured, and each registered check (the job queue), answering 503 with what failed."""

from __future__ import annotations

import os

import pytest
import redis

from riskreg.health.checks import CheckFailed, register_check
from tests.conftest import running_app
from tests.mail_support import free_port

REDIS_URL = os.environ.get("RISKREG_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def live_redis() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return REDIS_URL


def test_liveness_says_ok_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_ready_without_redis_checks_only_the_database(client):
    assert client.get("/healthz?ready").json == {
        "status": "ok",
        "database": "accepts writes",
        "jobs": "reachable, 0 waiting",
    }


def test_ready_asks_redis_when_it_is_configured(tmp_path, live_redis):
    for app in running_app(tmp_path, REDIS_URL=live_redis):
        response = app.test_client().get("/healthz?ready")
        assert response.status_code == 200
        assert response.json == {
            "status": "ok",
            "database": "accepts writes",
            "redis": "answers",
            "jobs": "reachable, 0 waiting",
        }


def test_ready_is_503_naming_redis_when_it_does_not_answer(tmp_path):
    for app in running_app(tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0"):
        response = app.test_client().get("/healthz?ready")
        assert response.status_code == 503
        assert response.json == {
            "status": "unavailable",
            "database": "accepts writes",
            "redis": "does not answer",
            "jobs": "reachable, 0 waiting",
            "failed": ["redis"],
        }
        assert app.test_client().get("/healthz").status_code == 200


def test_a_registered_check_is_part_of_readiness(app):
    register_check(app, "spare", lambda: "reachable")
    assert app.test_client().get("/healthz?ready").json["spare"] == "reachable"


def test_a_registered_check_that_fails_is_named(app):
    def queue_down() -> str:
        raise CheckFailed("the queue does not answer")

    def queue_bug() -> str:
        raise RuntimeError("secret internals")

    register_check(app, "jobs", queue_down)
    register_check(app, "scheduler", queue_bug)
    response = app.test_client().get("/healthz?ready")
    assert response.status_code == 503
    assert response.json["failed"] == ["jobs", "scheduler"]
    assert response.json["jobs"] == "the queue does not answer"
    assert response.json["scheduler"] == "unreachable"  # an unexpected error's text is not shown


def test_a_check_cannot_take_a_reserved_name(app):
    with pytest.raises(ValueError, match="'database' is taken"):
        register_check(app, "database", lambda: "ok")
