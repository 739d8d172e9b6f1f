"""With CSRF protection on (as in production), the control forms carry their token: the head's
close form on /controls/mine works, the same post without the token is refused."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from riskreg.auth import services as auth_services
from riskreg.controls.models import ControlEvidence, ControlStatus
from riskreg.extensions import db
from tests import test_csrf
from tests.conftest import PASSWORD
from tests.controls_support import PDF, fresh, new_control


def test_close_from_my_controls_with_the_pages_token(csrf_app):
    head = auth_services.create_user(
        email="head@example.com", name="Sam", role="department_head", password=PASSWORD, department="Security"
    )
    manager = auth_services.create_user(
        email="rm@example.com", name="Rhea", role="risk_manager", password=PASSWORD
    )
    db.session.commit()
    control = new_control(manager, "Security", title="Fence the pad")
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"email": head.email, "password": PASSWORD, "csrf_token": test_csrf.token(login_page)}
    )

    forged = {"version": control.version, "closing_note": "Done", "return_to": "mine"}
    assert client.post(f"/controls/{control.id}/close", data=forged).status_code == 400
    assert fresh(control.id).status is ControlStatus.PLANNED

    page = client.get("/controls/mine").get_data(as_text=True)
    form = re.search(rf'action="/controls/{control.id}/close".*?</form>', page, re.S).group(0)
    data = {
        "csrf_token": test_csrf.token(form),
        "version": re.search(r'name="version" value="(\d+)"', form).group(1),
        "return_to": "mine",
        "closing_note": "Fence finished",
        "evidence": [(io.BytesIO(PDF), "photos.pdf")],
    }
    response = client.post(f"/controls/{control.id}/close", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert fresh(control.id).status is ControlStatus.IMPLEMENTED
    assert db.session.scalar(sa.select(sa.func.count(ControlEvidence.id))) == 1
