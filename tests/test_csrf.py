"""With CSRF protection on (as in production), every form post needs the token."""

from __future__ import annotations

import re

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.risks.models import Risk
from tests.conftest import PASSWORD, risk_form


def token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_login_without_token_is_refused(csrf_app, make_user):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "x@example.com", "password": PASSWORD})
    assert response.status_code == 400 and "The form expired" in response.get_data(as_text=True)


def test_token_flow_for_login_create_and_logout(csrf_app):
    from riskreg.auth import services

    user = services.create_user(email="rm@example.com", name="RM", role="risk_manager", password=PASSWORD)
    db.session.commit()
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token(login_page)}
    )
    assert response.status_code == 302

    # A forged post (no token) changes nothing; the real form with its token works.
    assert client.post("/risks/new", data=risk_form(owner_id=user.id)).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0
    form_page = client.get("/risks/new").get_data(as_text=True)
    created = client.post("/risks/new", data=risk_form(owner_id=user.id, csrf_token=token(form_page)))
    assert created.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 1

    assert client.post("/logout").status_code == 400
    page = client.get("/risks").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": token(page)}).status_code == 302
