"""Request ids, the per-request log line, JSON logs, /metrics and its protection, and the mail's
request id (README "Seeing it run")."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from riskreg import create_app, mail
from riskreg.extensions import db
from riskreg.mail import OutboxMessage
from riskreg.observability import logs
from riskreg.observability.metrics import QueueStats, register_queue_stats
from riskreg.observability.request_id import bound_request_id, current_request_id
from tests.conftest import make_config, running_app

TOKEN = "scrape-me-please-0123456789"


@pytest.fixture
def metrics_app(tmp_path):
    yield from running_app(tmp_path, METRICS_TOKEN=TOKEN)


def scrape(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- request ids ---------------------------------------------------------------------------


def test_a_valid_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/login", headers={"X-Request-Id": "lb-7f3a.42:zz_9"})
    assert response.headers["X-Request-Id"] == "lb-7f3a.42:zz_9"


@pytest.mark.parametrize(
    "incoming", ["x" * 129, "has space", "tab\there", "<script>", "semi;colon", "ünïcode", ""]
)
def test_an_unsafe_or_overlong_request_id_is_replaced(client, incoming):
    response = client.get("/login", headers={"X-Request-Id": incoming})
    made = response.headers["X-Request-Id"]
    assert made != incoming and len(made) == 32 and int(made, 16) >= 0


def test_each_request_without_an_id_gets_its_own(client):
    first = client.get("/login").headers["X-Request-Id"]
    second = client.get("/login").headers["X-Request-Id"]
    assert first != second and len(first) == 32


def test_a_redirect_to_sign_in_still_carries_an_id(client):
    response = client.get("/risks")
    assert response.status_code == 302 and len(response.headers["X-Request-Id"]) == 32


def test_a_job_runs_under_the_request_id_it_was_given(app):
    assert current_request_id() is None
    with bound_request_id("from-the-request-1") as bound:
        assert bound == current_request_id() == "from-the-request-1"
    with bound_request_id("bad id\r\n") as bound:  # never repeated into logs or headers
        assert bound != "bad id\r\n" and len(bound) == 32
    assert current_request_id() is None


# --- logs ----------------------------------------------------------------------------------


def test_one_log_line_per_request_with_user_status_and_duration(client, users, login, caplog):
    signed_in = login(users["risk_manager"])
    caplog.handler.addFilter(logs.RequestIdFilter())  # as riskreg's own handler does, at emit time
    with caplog.at_level(logging.INFO, logger="riskreg.requests"):
        response = signed_in.get("/risks?status=open", headers={"X-Request-Id": "req-abc-123"})
    lines = [r for r in caplog.records if r.name == "riskreg.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.method, line.path, line.status, line.endpoint) == ("GET", "/risks", 200, "risks.list")
    assert line.user_id == users["risk_manager"].id
    assert line.duration_ms >= 0 and response.status_code == 200
    assert line.request_id == "req-abc-123"


def test_the_json_format_is_one_object_per_line_with_the_request_id(app):
    record = logging.LogRecord("riskreg.x", logging.WARNING, __file__, 1, "saved %s", ("R-0001",), None)
    record.user_id = 7
    with app.test_request_context("/"):
        app.preprocess_request()
        expected = current_request_id()
        logs.RequestIdFilter().filter(record)
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "saved R-0001" and entry["level"] == "WARNING"
    assert entry["request_id"] == expected and entry["user_id"] == 7 and entry["logger"] == "riskreg.x"


def test_text_lines_name_the_request_id_or_a_dash(app):
    handler = logs.make_handler("text")
    record = logging.LogRecord("riskreg.x", logging.INFO, __file__, 1, "hello", (), None)
    handler.filter(record)
    assert handler.format(record).endswith("riskreg.x [-]: hello")


def test_an_unknown_log_format_refuses_to_start(monkeypatch):
    monkeypatch.setenv("RISKREG_LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="RISKREG_LOG_FORMAT must be text or json"):
        create_app(make_config())


# --- mail ----------------------------------------------------------------------------------


def test_a_mail_carries_the_request_id_of_the_request_that_caused_it(app, smtp, users, caplog):
    user = users["executive"]
    caplog.handler.addFilter(logs.RequestIdFilter())
    with app.test_request_context("/", headers={"X-Request-Id": "edit-req-42"}):
        app.preprocess_request()
        with caplog.at_level(logging.INFO, logger="riskreg.mail"):
            control = SimpleNamespace(id=1, ref="C-0001", title="Patrols")
            notice = "controls/email/notice.txt"
            mail.notify("control_assigned", user, "Assigned", notice, headline="Yours", control=control)
            db.session.commit()
    [message] = smtp.to(user.email)
    assert message["X-Request-Id"] == "edit-req-42"
    [sent] = [r for r in caplog.records if r.name == "riskreg.mail" and "sent" in r.getMessage()]
    assert sent.request_id == "edit-req-42"


def test_a_mail_sent_by_a_job_carries_the_jobs_request_id(app, smtp, users):
    row = OutboxMessage(kind="review_due", to_address=users["executive"].email, subject="s", body="b")
    db.session.add(row)
    db.session.commit()
    with bound_request_id("queued-by-req-9"):
        mail.retry()
    [message] = smtp.to(users["executive"].email)
    assert message["X-Request-Id"] == "queued-by-req-9"


def test_a_mail_outside_any_request_has_no_request_id_header(app, smtp, users):
    db.session.add(OutboxMessage(kind="review_due", to_address=users["admin"].email, subject="s", body="b"))
    db.session.commit()
    mail.retry()
    [message] = smtp.to(users["admin"].email)
    assert "X-Request-Id" not in message


# --- /metrics: who may read it ---------------------------------------------------------------


def test_metrics_do_not_exist_unless_configured(client):
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_metrics_need_the_token(metrics_app):
    client = metrics_app.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and b"riskreg_http_requests_total" in ok.data


def test_only_the_tokens_digest_is_kept(metrics_app):
    from riskreg.observability.access import access_of

    access = access_of(metrics_app)
    assert TOKEN.encode() not in repr(access).encode() and len(access.token_sha256) == 32


def test_metrics_by_client_address(tmp_path):
    for app in running_app(tmp_path, METRICS_ALLOW="10.0.0.0/8, 127.0.0.1"):
        assert app.test_client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
        outsider = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert outsider.status_code == 403


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(tmp_path):
    claim = {"X-Forwarded-For": "10.1.2.3"}
    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    for app in running_app(tmp_path, METRICS_ALLOW="10.0.0.0/8"):  # no proxy: the header is ignored
        assert app.test_client().get("/metrics", headers=claim, environ_base=outsider).status_code == 403
    for app in running_app(tmp_path, METRICS_ALLOW="10.0.0.0/8", PROXY_COUNT=1):
        assert app.test_client().get("/metrics", headers=claim).status_code == 200
        from_outside = app.test_client().get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert from_outside.status_code == 403  # a proxy on an allowed address does not let others in


def test_a_bad_address_list_refuses_to_start():
    with pytest.raises(ValueError, match="RISKREG_METRICS_ALLOW: '10.0.0.300/8'"):
        create_app(make_config(METRICS_ALLOW="127.0.0.1, 10.0.0.300/8"))


# --- /metrics: what it says ----------------------------------------------------------------------


def test_requests_are_counted_per_endpoint_and_status_class(metrics_app, make_user, login):
    from riskreg.auth.models import Role

    signed_in = login(make_user(Role.RISK_MANAGER))
    before = scrape(metrics_app)
    signed_in.get("/risks")
    signed_in.get("/risks?status=open")
    signed_in.get("/risks/999999")
    signed_in.get("/no/such/page/12345")
    after = scrape(metrics_app)
    counted = "riskreg_http_requests_total"
    ok = {"endpoint": "risks.list", "method": "GET", "status": "2xx"}
    assert value(after, counted, **ok) - value(before, counted, **ok) == 2
    missing = {"endpoint": "risks.detail", "method": "GET", "status": "4xx"}
    assert value(after, counted, **missing) - value(before, counted, **missing) == 1
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "4xx"}
    assert value(after, counted, **unmatched) - value(before, counted, **unmatched) == 1
    histogram = "riskreg_http_request_duration_seconds_count"
    labels = {"endpoint": "risks.list", "method": "GET"}
    assert value(after, histogram, **labels) - value(before, histogram, **labels) == 2
    paths = {dict(labels).get("endpoint") for _, labels in after}
    assert not any(p and p.startswith("/") for p in paths)  # raw paths never become labels


def test_mail_failures_are_read_from_the_outbox(metrics_app):
    db.session.add_all(
        [
            OutboxMessage(kind="review_due", to_address="a@example.com", subject="s", body="b"),
            OutboxMessage(kind="review_due", to_address="b@example.com", subject="s", body="b", attempts=2),
            OutboxMessage(
                kind="review_due",
                to_address="c@example.com",
                subject="s",
                body="b",
                attempts=mail.MAX_ATTEMPTS,
            ),
        ]
    )
    db.session.commit()
    samples = scrape(metrics_app)
    assert value(samples, "riskreg_mail_queued") == 3
    assert value(samples, "riskreg_mail_failed") == 2
    assert value(samples, "riskreg_mail_given_up") == 1
    assert value(samples, "riskreg_mail_outbox_up") == 1


def test_a_refused_mail_counts_as_a_send_failure(metrics_app, users):
    metrics_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # nothing listens on port 1
    db.session.add(OutboxMessage(kind="review_due", to_address="x@example.com", subject="s", body="b"))
    db.session.commit()
    before = value(scrape(metrics_app), "riskreg_mail_send_failures_total")
    assert len(mail.retry().failed) == 1
    assert value(scrape(metrics_app), "riskreg_mail_send_failures_total") - before == 1


def test_the_database_pool_is_reported(metrics_app):
    samples = scrape(metrics_app)
    assert value(samples, "riskreg_db_pool_size") >= 1
    assert ("riskreg_db_pool_checked_out", ()) in samples


def test_job_queues_report_through_the_registration_hook(metrics_app):
    register_queue_stats(metrics_app, "exports", lambda: QueueStats(depth=7, failed=2))

    def broken() -> QueueStats:
        raise ConnectionError("queue gone")

    register_queue_stats(metrics_app, "imports", broken)
    samples = scrape(metrics_app)  # a queue that is down does not take /metrics with it
    assert value(samples, "riskreg_job_queue_depth", queue="exports") == 7
    assert value(samples, "riskreg_job_queue_failed", queue="exports") == 2
    assert value(samples, "riskreg_job_queue_up", queue="exports") == 1
    assert value(samples, "riskreg_job_queue_up", queue="imports") == 0
    assert ("riskreg_job_queue_depth", (("queue", "imports"),)) not in samples


# --- several hosts ------------------------------------------------------------------------------


def settings(**config):
    return SimpleNamespace(config=config)


def test_a_server_database_with_per_host_secret_and_limits_is_named():
    from riskreg.observability.hosts import per_host_state

    server = "postgresql+psycopg://riskreg@db.internal/riskreg"
    problems = per_host_state(
        settings(
            SQLALCHEMY_DATABASE_URI=server, SECRET_KEY_FROM_INSTANCE=True, RATELIMIT_STORAGE_URI="memory://"
        )
    )
    assert len(problems) == 2
    assert "RISKREG_SECRET_KEY" in problems[0] and "RISKREG_REDIS_URL" in problems[1]
    shared = settings(
        SQLALCHEMY_DATABASE_URI=server, SECRET_KEY_FROM_INSTANCE=False, RATELIMIT_STORAGE_URI="redis://r/0"
    )
    assert per_host_state(shared) == []
    one_file = settings(
        SQLALCHEMY_DATABASE_URI="sqlite:///x.sqlite",
        SECRET_KEY_FROM_INSTANCE=True,
        RATELIMIT_STORAGE_URI="memory://",
    )
    assert per_host_state(one_file) == []  # SQLite: one machine by construction


def test_the_warning_is_logged_at_start(caplog):
    server = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # not connected to at start
    with caplog.at_level(logging.WARNING, logger="riskreg.observability.hosts"):
        create_app(make_config(SQLALCHEMY_DATABASE_URI=server, RATELIMIT_ENABLED=True))
    assert any("RISKREG_REDIS_URL" in r.getMessage() for r in caplog.records)


def test_metrics_still_answer_with_the_database_gone(tmp_path):
    broken = create_app(
        make_config(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite", METRICS_TOKEN=TOKEN
        )
    )
    broken.test_client().get("/healthz")
    samples = scrape(broken)
    assert value(samples, "riskreg_mail_outbox_up") == 0
    assert ("riskreg_mail_queued", ()) not in samples
    labels = {"endpoint": "health.healthz", "method": "GET", "status": "2xx"}
    assert value(samples, "riskreg_http_requests_total", **labels) >= 1


def test_an_unknown_log_stream_refuses_to_start(monkeypatch):
    monkeypatch.setenv("RISKREG_LOG_STREAM", "syslog")
    with pytest.raises(ValueError, match="RISKREG_LOG_STREAM must be stdout or stderr"):
        create_app(make_config())


def test_log_lines_go_to_the_stream_asked_for(monkeypatch, capsys):
    monkeypatch.setenv("RISKREG_LOG_STREAM", "stdout")
    handler = logs.make_handler("json")
    handler.handle(logging.LogRecord("riskreg.x", logging.INFO, __file__, 1, "to stdout", (), None))
    monkeypatch.setenv("RISKREG_LOG_STREAM", "stderr")
    logs.make_handler("text").handle(
        logging.LogRecord("riskreg.x", logging.INFO, __file__, 1, "to err", (), None)
    )
    out, err = capsys.readouterr()
    assert json.loads(out)["message"] == "to stdout" and "to err" in err and "to err" not in out
