"""Over https (seen directly or through the proxy's X-Forwarded-Proto) every cookie is Secure and HSTS
is sent, with no setting; the explicit setting still forces both; and browser features are denied."""

from __future__ import annotations

import pytest

from riskreg.auth import services
from riskreg.extensions import db
from tests.conftest import PASSWORD, running_app


def sign_in(client, user, **kwargs):
    return client.post("/login", data={"email": user.email, "password": PASSWORD}, **kwargs)


def set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(client, users):
    response = sign_in(client, users["executive"], base_url="https://riskreg.example")
    assert response.status_code == 302
    [cookie] = set_cookies(response)
    assert cookie.startswith("session=") and "; Secure" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_over_plain_http_neither(client, users):
    response = sign_in(client, users["executive"])
    assert "Secure" not in set_cookies(response)[0]
    assert "Strict-Transport-Security" not in response.headers


def test_the_remember_me_cookie_is_secure_over_https(app, users):
    client = app.test_client()
    with client.session_transaction(base_url="https://localhost") as session:  # login_user(remember=True)
        session["_user_id"] = users["executive"].get_id()
        session["_remember"] = "set"
    response = client.get("/risks", base_url="https://localhost")
    remember = [c for c in set_cookies(response) if c.startswith("remember_token=")]
    assert remember and all("; Secure" in c for c in remember)
    assert all("; Secure" in c for c in set_cookies(response))


@pytest.mark.parametrize("proxies, secure", [(1, True), (0, False)])
def test_https_said_by_the_proxy_counts_only_behind_a_proxy(tmp_path, proxies, secure):
    for app in running_app(tmp_path, PROXY_COUNT=proxies):
        user = services.create_user(email="p@example.com", name="P", role="executive", password=PASSWORD)
        db.session.commit()
        response = sign_in(app.test_client(), user, headers={"X-Forwarded-Proto": "https"})
        assert response.status_code == 302
        assert ("; Secure" in set_cookies(response)[0]) is secure
        assert ("Strict-Transport-Security" in response.headers) is secure


def test_the_explicit_setting_forces_both_over_http(tmp_path):
    for app in running_app(tmp_path, SESSION_COOKIE_SECURE=True):
        client = app.test_client()
        with client.session_transaction() as session:
            session["planted"] = "x"
        response = client.get("/login")
        assert "; Secure" in set_cookies(response)[0]
        assert "Strict-Transport-Security" in response.headers


def test_browser_features_are_denied(client):
    policy = client.get("/login").headers["Permissions-Policy"]
    features = dict(item.split("=") for item in policy.split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert features[feature] == "()"
