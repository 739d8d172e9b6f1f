"""Admins manage sites, departments and users; every change is audited; bad input gets a message."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role, User
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.sites.models import Site
from tests.conftest import PASSWORD, text_of
from tests.edit_forms import edited, form_of, opened

SITE = {
    "name": "Tarkwa East",
    "country": "Ghana",
    "region": "Western",
    "commodity": "Gold",
    "latitude": "5.3",
    "longitude": "-2.0",
    "lifecycle": "operating",
    "asm_approach": "engagement",
    "description": "",
}


def test_admin_creates_and_edits_a_site_with_audit(clients):
    response = clients["admin"].post("/sites/new", data=SITE)
    assert response.status_code == 302
    site = db.session.scalar(sa.select(Site).where(Site.name == "Tarkwa East"))
    url = f"/sites/{site.id}/edit"
    form = edited(clients["admin"], url, "site-form", region="Western North")
    assert clients["admin"].post(url, data=form).status_code == 302
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity == "site", AuditEvent.entity_id == site.id)
    ).all()
    assert actions == ["create", "update"]
    assert "Western North" in text_of(clients["executive"].get(f"/sites/{site.id}"))


def test_site_bad_input(clients, make_site):
    make_site(name="Existing")
    for field, value, message in [
        ("latitude", "91", "between -90 and 90"),
        ("longitude", "-181", "between -180 and 180"),
        ("latitude", "north", "Not a valid float value"),
        ("name", "", "This field is required."),
        ("name", "existing", "already exists"),
        ("lifecycle", "dormant", "Choose one of"),
    ]:
        response = clients["admin"].post("/sites/new", data=dict(SITE, **{field: value}))
        assert response.status_code == 200 and message in text_of(response), field
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 1


def test_departments_are_managed_by_admins(clients):
    assert (
        clients["admin"].post("/departments/new", data={"name": "Closure Team", "active": "y"}).status_code
        == 302
    )
    dupe = clients["admin"].post("/departments/new", data={"name": "security"})
    assert "already exists" in text_of(dupe)
    department = db.session.scalar(sa.select(Department).where(Department.name == "Closure Team"))
    assert (
        clients["admin"].post(f"/departments/{department.id}/edit", data={"name": "Closure"}).status_code
        == 302
    )
    db.session.rollback()
    assert db.session.get(Department, department.id).name == "Closure"
    assert not db.session.get(Department, department.id).active


def test_admin_creates_a_department_head_who_can_sign_in(clients, app, login):
    legal = db.session.scalar(sa.select(Department.id).where(Department.name == "Legal"))
    form = {
        "email": "head.legal@example.com",
        "name": "Lee Legal",
        "role": "department_head",
        "department_id": legal,
        "active": "y",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    missing_department = clients["admin"].post("/users/new", data=dict(form, department_id=""))
    assert "needs a department" in text_of(missing_department)
    assert clients["admin"].post("/users/new", data=form).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "head.legal@example.com"))
    assert user.role is Role.DEPARTMENT_HEAD
    assert login(user).get("/risks").status_code == 200


def test_changing_a_role_signs_the_user_out_everywhere(clients, users, login):
    executive_client = login(users["executive"])
    form = {
        "email": users["executive"].email,
        "name": "Eve Exec",
        "role": "risk_manager",
        "active": "y",
        "department_id": "",
        "password": "",
        "confirm": "",
    }
    assert clients["admin"].post(f"/users/{users['executive'].id}/edit", data=form).status_code == 302
    assert executive_client.get("/risks").status_code == 302  # old session is gone


def test_admin_cannot_demote_themself(clients, users):
    form = {
        "email": users["admin"].email,
        "name": "Ada",
        "role": "executive",
        "active": "y",
        "department_id": "",
        "password": "",
        "confirm": "",
    }
    response = clients["admin"].post(f"/users/{users['admin'].id}/edit", data=form)
    assert "cannot remove your own admin role" in text_of(response)


def test_site_edit_keeps_the_loaded_version_through_a_validation_error(clients, make_site):
    """A re-rendered form must not quietly adopt someone else's newer version: its base and version
    stay the ones this editor loaded, so their change is merged in, not overwritten."""
    site = make_site(name="Geita", region="Geita")
    url = f"/sites/{site.id}/edit"
    assert clients["risk_manager"].get(url).status_code == 403
    mine = opened(clients["admin"], url, "site-form")
    theirs = edited(clients["admin"], url, "site-form", region="B's region")
    assert clients["admin"].post(url, data=theirs).status_code == 302
    invalid = clients["admin"].post(url, data=dict(mine, latitude="100"))
    assert invalid.status_code == 200 and "Latitude must be between -90 and 90." in text_of(invalid)
    kept = form_of(invalid.get_data(as_text=True), "site-form")
    assert (kept["version"], kept["base"]) == (mine["version"], mine["base"])  # still what was loaded
    again = clients["admin"].post(url, data=dict(kept, latitude="5"))
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/sites/{site.id}")
    db.session.rollback()
    stored = db.session.get(Site, site.id)
    assert (stored.region, stored.latitude) == ("B's region", 5.0)  # theirs kept, and mine


@pytest.mark.parametrize("drop", ["version", "base"])
def test_a_site_edit_without_its_version_or_base_is_a_400(clients, make_site, drop):
    site = make_site(name="Geita", region="Geita")
    url = f"/sites/{site.id}/edit"
    form = edited(clients["admin"], url, "site-form", region="No version")
    response = clients["admin"].post(url, data={k: v for k, v in form.items() if k != drop})
    assert response.status_code == 400 and "Nothing was saved" in text_of(response)
    db.session.rollback()
    assert db.session.get(Site, site.id).region == "Geita"


def test_a_site_update_without_the_version_it_was_based_on_is_refused(make_site, users):
    from riskreg.sites import services

    site = make_site(name="Geita", region="Geita")
    data = {name: getattr(site, name) for name in services.SITE_FIELDS} | {"region": "Mwanza"}
    with pytest.raises(TypeError, match="expected_version"):
        services.update_site(site, data, users["admin"], None)
    db.session.rollback()
    assert db.session.get(Site, site.id).region == "Geita"
