# ruff: noqa: F811  (the fixtures imported from tests/multihost_support.py are used as arguments)
"""Two gunicorn hosts on one PostgreSQL and one Redis serve one user with no difference: signed in
on one and saving on the other, one sign-in rate limit for both, and each host's /metrics and
/healthz?ready (tests/multihost_support.py starts the hosts; skipped without PostgreSQL)."""

from __future__ import annotations

import io
import secrets
import time

import openpyxl
import pytest
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.multihost_support import (  # noqa: F401  (fixtures)
    BIN,
    LOGIN_LIMIT,
    PASSWORD,
    browser,
    cluster,
    csrf_form,
    db_app,
    host_urls,
    make_person,
    metrics_of,
    multihost_env,
    new_session,
    sign_in,
)

pytestmark = pytest.mark.multihost


@pytest.fixture(scope="module")
def multihost_env() -> dict[str, str]:
    """Kept files in PostgreSQL (no folder shared), and any export of two risks or more as a job."""
    return {"RISKREG_STORAGE": "database", "RISKREG_EXPORT_INLINE_MAX_RISKS": "1"}


@pytest.fixture(scope="module")
def worker(cluster):
    """One job worker beside the two hosts, on the same Redis queue."""
    return cluster.run_beside("worker", [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"])


def counter(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def make_risk(db_app, owner) -> int:
    from riskreg.extensions import db
    from riskreg.risks import services
    from tests.conftest import risk_values

    risk = services.create_risk(risk_values(owner.id), actor=owner)
    db.session.commit()
    return risk.id


def test_signed_in_on_one_host_a_save_on_the_other_is_seen_on_both(cluster, db_app, make_person, browser):
    person = make_person("risk_manager")
    risk_id = make_risk(db_app, person)
    a, b = cluster.urls
    user = browser(sign_in_as=person, at=a)
    assert user.get(f"{b}/risks", allow_redirects=False, timeout=30).status_code == 200  # same session

    form = csrf_form(user, f"{b}/risks/{risk_id}/edit", "risk-form")
    form["title"] = "Encroachment seen from both hosts"
    request_id = "multihost-edit-" + secrets.token_hex(4)
    saved = user.post(
        f"{b}/risks/{risk_id}/edit",
        data=form,
        headers={"X-Request-Id": request_id},
        allow_redirects=False,
        timeout=30,
    )
    assert saved.status_code == 302, saved.text[-2000:]
    assert saved.headers["X-Request-Id"] == request_id
    for host in (a, b):
        page = user.get(f"{host}/risks/{risk_id}", timeout=30)
        assert page.status_code == 200 and "Encroachment seen from both hosts" in page.text

    # The host that saved logged it: one JSON line with the request id, the user and the status.
    [line] = [e for e in cluster.b.log_entries() if e.get("request_id") == request_id and "status" in e]
    assert (line["method"], line["status"], line["user_id"]) == ("POST", 302, person.id)
    assert line["endpoint"] == "risks.edit" and line["duration_ms"] >= 0


def test_signing_out_on_one_host_signs_the_cookie_out_on_the_other(cluster, make_person, browser):
    a, b = cluster.urls
    person = make_person("executive")
    user = browser(sign_in_as=person, at=a)
    copied = new_session()
    copied.cookies.update(user.cookies)  # a copy of the session cookie, kept by someone else
    assert copied.get(f"{a}/risks", allow_redirects=False, timeout=30).status_code == 200
    form = csrf_form(user, f"{b}/risks", "logout")
    assert user.post(f"{b}/logout", data=form, allow_redirects=False, timeout=30).status_code == 302
    for host in (a, b):
        response = copied.get(f"{host}/risks", allow_redirects=False, timeout=30)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_sign_in_rate_limit_is_counted_across_both_hosts(cluster, make_person):
    a, b = cluster.urls
    person = make_person("risk_manager")
    address = "198.51.100.77"  # one client, sent by the load balancer to either host
    client = new_session(address)
    for _ in range(LOGIN_LIMIT):  # each attempt names another account: the database throttle stays out
        wrong = sign_in(client, a, f"nobody-{secrets.token_hex(4)}@example.com", "wrong-wrong-wrong")
        assert wrong.status_code == 200 and "Invalid email or password." in wrong.text
    refused = sign_in(new_session(address), b, person.email)  # even the right password, on the other host
    assert refused.status_code == 429
    elsewhere = sign_in(new_session("198.51.100.78"), b, person.email)  # another client is not affected
    assert elsewhere.status_code == 302


def test_both_hosts_are_ready_and_say_so(cluster):
    for host in cluster.urls:
        assert requests.get(f"{host}/healthz", timeout=30).json() == {"status": "ok"}
        ready = requests.get(f"{host}/healthz?ready", timeout=30)
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ok",
            "database": "accepts writes",
            "redis": "answers",
            "jobs": "reachable, 0 waiting",
        }


def test_each_hosts_metrics_add_up_its_workers(cluster):
    for host in cluster.urls:
        labels = {"endpoint": "health.healthz", "method": "GET", "status": "2xx"}
        before = counter(metrics_of(host), "riskreg_http_requests_total", **labels)
        for _ in range(8):  # spread over the host's workers; the scrape sums them all
            requests.get(f"{host}/healthz", timeout=30)
        text = metrics_of(host)
        assert counter(text, "riskreg_http_requests_total", **labels) - before == 8
        assert counter(text, "riskreg_db_pool_size") > 0
        assert "riskreg_mail_queued" in text
        assert requests.get(f"{host}/metrics", timeout=30).status_code == 403


def test_a_process_beside_the_hosts_shares_their_settings(cluster, browser):
    """What a job worker will rely on: a process started with the hosts' settings works on their
    database; here `flask users create` makes an account that then signs in on host b."""
    import shlex
    import sys
    from pathlib import Path

    email = f"beside-{secrets.token_hex(4)}@example.com"
    flask = shlex.quote(str(Path(sys.executable).parent / "flask"))
    create = f"{flask} --app wsgi users create --email {email} --name Beside --role executive"
    script = f"printf '%s\\n%s\\n' {shlex.quote(PASSWORD)} {shlex.quote(PASSWORD)} | {create}"
    other = cluster.run_beside("cli", ["sh", "-c", script])
    assert other.process.wait(timeout=120) == 0, other.log.read_text(errors="replace")[-2000:]
    session = browser()
    assert sign_in(session, cluster.b.url, email).status_code == 302
    assert session.get(f"{cluster.b.url}/risks", allow_redirects=False, timeout=30).status_code == 200


def test_evidence_uploaded_on_one_host_is_served_by_the_other(cluster, db_app, make_person, browser):
    from riskreg.controls.models import ControlEvidence
    from riskreg.extensions import db
    from tests.controls_support import PDF, new_control

    head = make_person("department_head", department="Security")
    control = new_control(head, "Security", title="Boundary signage")
    db.session.commit()
    a, b = cluster.urls
    user = browser(sign_in_as=head, at=a)
    token = csrf_form(user, f"{a}/risks", "logout")["csrf_token"]
    closed = user.post(
        f"{a}/controls/{control.id}/close",
        data={"csrf_token": token, "version": control.version, "closing_note": "Signs installed"},
        files={"evidence": ("signs.pdf", PDF, "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert closed.status_code == 302, closed.text[-2000:]
    db.session.rollback()
    evidence = db.session.scalar(sa.select(ControlEvidence).where(ControlEvidence.control_id == control.id))
    served = user.get(f"{b}/controls/{control.id}/evidence/{evidence.id}", timeout=30)
    assert served.status_code == 200 and served.content == PDF
    assert not any((cluster.folder / name / "uploads" / "evidence").exists() for name in ("a", "b"))


def test_an_export_job_started_on_one_host_is_seen_and_downloaded_on_the_other(
    cluster, db_app, worker, make_person, browser
):
    person = make_person("risk_manager")
    for _ in range(3):
        make_risk(db_app, person)
    a, b = cluster.urls
    user = browser(sign_in_as=person, at=a)
    form = csrf_form(user, f"{a}/export.xlsx", "/export.xlsx")  # the form whose action it is
    started = user.post(f"{a}/export.xlsx", data=form, allow_redirects=False, timeout=30)
    assert started.status_code == 302, started.text[-2000:]
    job = started.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 180
    while True:
        status = user.get(f"{b}/jobs/{job}/status", timeout=30).json()
        if status["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["state"] == "done", (status, worker.log.read_text()[-3000:])
    download = user.get(f"{b}/jobs/{job}/download", timeout=60)
    assert download.status_code == 200
    register = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)["Register"]
    assert sum(1 for _ in register.iter_rows(min_row=2)) >= 3
