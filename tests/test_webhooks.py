"""Signed webhooks: Standard Webhooks signatures (the spec's own example), deliveries received on a
loopback HTTP server after the commit, retries by `flask webhooks deliver`, the 24-hour limit, the
SSRF guard, the test button and the delivery log."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.webhooks import delivery, services
from riskreg.webhooks.delivery import WebhookError, check_url, signed_headers
from riskreg.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.api_support import risk_body


class Receiver:
    """A loopback HTTP server that records each POST (headers and body) and answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(app, users, receiver):
    services.set_allow_private(True, users["admin"])  # the receiver is on loopback
    made = services.create_endpoint(receiver.url, list(delivery.EVENTS), "Test receiver", users["admin"])
    db.session.commit()
    return made


def test_signature_matches_the_specs_published_example():
    # From the Standard Webhooks specification's test vectors.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = signed_headers(
        secret,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        '{"test": 2432232314}',
        datetime.fromtimestamp(1614265330, UTC),
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"


def test_a_change_through_the_api_reaches_the_receiver_signed(api, users, receiver, endpoint):
    response = api(users["risk_manager"]).post("/api/v1/risks", risk_body(owner_id=users["risk_manager"].id))
    assert response.status_code == 201
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    event = Webhook(endpoint.secret).verify(body, headers)  # raises on a bad signature
    assert event["type"] == "risk.created" and event["data"]["id"] == response.get_json()["id"]
    assert event["data"]["url"].endswith(f"/api/v1/risks/{event['data']['id']}")
    with pytest.raises(Exception):  # noqa: B017 (any verification error)
        Webhook(delivery.new_secret()).verify(body, headers)
    row = db.session.scalar(sa.select(WebhookDelivery))
    assert row.state == "delivered" and row.last_status == 200 and row.response_ms is not None
    assert row.message_id == headers["webhook-id"]


def test_a_failing_receiver_never_fails_the_change_and_cron_retries(api, users, receiver, endpoint, runner):
    receiver.status = 500
    risk = api(users["risk_manager"]).post("/api/v1/risks", risk_body(owner_id=users["risk_manager"].id))
    assert risk.status_code == 201
    row = db.session.scalar(sa.select(WebhookDelivery))
    assert row.state == "pending" and row.attempts == 1 and row.last_error == "HTTP 500"
    assert timedelta(seconds=1) < row.next_attempt_at - utcnow() <= timedelta(seconds=5)
    result = runner.invoke(args=["webhooks", "deliver"])
    assert "Delivered 0, failed 0" in result.output  # not due yet
    receiver.status = 204
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = runner.invoke(args=["webhooks", "deliver"])
    assert "Delivered 1, failed 0" in result.output, result.output
    db.session.expire_all()
    row = db.session.scalar(sa.select(WebhookDelivery))
    assert row.state == "delivered" and row.attempts == 2
    first, second = receiver.received
    assert first[0]["webhook-id"] == second[0]["webhook-id"] and first[1] == second[1]  # the same message


def test_backoff_grows_and_gives_up_after_a_day():
    now = utcnow()
    steps = []
    for attempts in range(6):
        attempt = delivery.Attempt(1, "http://x", "whsec_x", "msg", "{}", now, attempts)
        steps.append(delivery.outcome(attempt, 500, "HTTP 500", 5, now)["next_attempt_at"] - now)
    assert steps == sorted(steps) and steps[0] == timedelta(seconds=5)
    old = delivery.Attempt(1, "http://x", "whsec_x", "msg", "{}", now - timedelta(hours=23), 6)
    assert delivery.outcome(old, None, "refused", 5, now)["next_attempt_at"] is None  # given up


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "http://user:pw@93.184.216.34/",
    ],
)
def test_ssrf_guard_refuses_non_public_targets(app, url):
    with pytest.raises(WebhookError):
        check_url(url, private_allowed=False)


def test_ssrf_guard_allows_public_addresses_and_the_setting(app, users, receiver):
    check_url("https://93.184.216.34/hook", private_allowed=False)
    with pytest.raises(WebhookError):
        services.create_endpoint(receiver.url, ["risk.created"], "", users["admin"])
    db.session.rollback()
    services.set_allow_private(True, users["admin"])
    services.create_endpoint(receiver.url, ["risk.created"], "", users["admin"])
    db.session.commit()


def test_admin_pages_test_button_and_log(clients, users, receiver, endpoint):
    page = clients["admin"].get("/webhooks")
    assert receiver.url in page.get_data(as_text=True)
    assert clients["admin"].post(f"/webhooks/{endpoint.id}/test").status_code == 302
    headers, body = receiver.received[-1]
    assert Webhook(endpoint.secret).verify(body, headers)["type"] == "webhook.test"
    log = clients["admin"].get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "webhook.test" in log and "delivered" in log and " ms" in log
    assert clients["admin"].post("/webhooks/settings", data={}).status_code == 302  # private: off again
    for url in ("http://10.0.0.1/x", receiver.url):
        refused = clients["admin"].post("/webhooks", data={"url": url, "events": ["risk.created"]})
        assert refused.status_code == 200 and "private address" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 1


def test_only_subscribed_events_and_pages_too(clients, users, receiver, make_risk):
    services.set_allow_private(True, users["admin"])
    services.create_endpoint(receiver.url, ["risk.archived"], "", users["admin"])
    db.session.commit()
    risk = make_risk()  # risk.created: not subscribed
    assert receiver.received == []
    clients["risk_manager"].post(f"/risks/{risk.id}/archive", data={"reason": "Duplicate"})
    assert [json.loads(body)["type"] for _, body in receiver.received] == ["risk.archived"]


def test_an_indicator_trigger_is_an_event(app, users, receiver, endpoint):
    from riskreg import audit

    audit.record("site_indicator", 7, "trigger", None, {"status": ["amber", "red"]}, "Influx")
    db.session.commit()
    event = Webhook(endpoint.secret).verify(receiver.received[-1][1], receiver.received[-1][0])
    assert event["type"] == "indicator.triggered" and event["data"]["changes"] == {"status": ["amber", "red"]}
