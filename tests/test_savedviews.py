"""Saved views of the register and the tracker: save, open, default, share, rename, delete, columns."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.controls.models import ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Direction, RiskStatus
from riskreg.savedviews.models import DefaultView, SavedView
from tests.conftest import text_of
from tests.controls_support import new_control


def refs(response, prefix: str = "R") -> list[str]:
    return re.findall(rf">({prefix}-\d{{4}})</a></td>", response.get_data(as_text=True))


def save(client, name: str, query: str, page: str = "register", **extra) -> object:
    return client.post("/views", data={"page": page, "query": query, "name": name, **extra})


def views() -> list[SavedView]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(SavedView).order_by(SavedView.id)))


@pytest.fixture
def register(make_risk):
    return {
        "asm": make_risk(title="Eviction", direction=Direction.TO_ASM),
        "company": make_risk(title="Encroachment"),
        "draft": make_risk(title="Draft idea", status=RiskStatus.DRAFT),
    }


def test_save_the_register_filters_and_open_them_again(clients, register):
    response = save(clients["executive"], "ASM only", "direction=to_asm&page=3&sort=title&junk=1")
    assert response.status_code == 302
    (view,) = views()
    # stored as the register writes it: where you were (page) and unknown keys are not kept
    assert view.query == "direction=to_asm&sort=title" and not view.shared
    opened = clients["executive"].get(f"/views/{view.id}", follow_redirects=True)
    assert refs(opened) == [register["asm"].ref]
    assert "ASM only" in text_of(opened)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "saved_view"))
    assert event.action == "create" and event.changes["name"] == [None, "ASM only"]


def test_the_default_view_opens_with_the_plain_register_only(clients, register):
    save(clients["executive"], "Drafts", "status=draft", make_default="y")
    assert refs(clients["executive"].get("/risks")) == [register["draft"].ref]
    # any parameter, or ?view=none, shows exactly what it says
    assert len(refs(clients["executive"].get("/risks?view=none"))) == 3
    for odd in ("²", "99999999999", "-1", "x"):  # not a view: the page as the other parameters say
        assert len(refs(clients["executive"].get("/risks", query_string={"view": odd}))) == 3
    assert refs(clients["executive"].get("/risks?direction=to_asm")) == [register["asm"].ref]
    # others are not affected
    assert len(refs(clients["risk_manager"].get("/risks"))) == 3
    (view,) = views()
    clients["executive"].post("/views/default/clear", data={"page": "register"})
    assert len(refs(clients["executive"].get("/risks"))) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DefaultView)) == 0
    clients["executive"].post(f"/views/{view.id}/default")
    assert refs(clients["executive"].get("/risks")) == [register["draft"].ref]


def test_personal_views_are_private_and_shared_views_visible_to_all(clients, users, register):
    save(clients["executive"], "Mine", "status=draft")
    save(clients["executive"], "Ours", "direction=to_asm", shared="y")
    mine, ours = views()
    other = clients["department_head"]
    page = text_of(other.get("/risks"))
    assert "Ours" in page and "Mine" not in page
    assert other.get(f"/views/{mine.id}").status_code == 404
    assert other.get(f"/views/{ours.id}").status_code == 302
    # another user may take a shared view as their default
    other.post(f"/views/{ours.id}/default")
    assert refs(other.get("/risks")) == [register["asm"].ref]
    # unsharing it takes it away from them
    clients["executive"].post(f"/views/{ours.id}/edit", data={"name": "Ours"})
    assert len(refs(other.get("/risks"))) == 3


def test_rename_refilter_and_delete_own_views(clients, register):
    save(clients["executive"], "Draft", "status=draft")
    (view,) = views()
    clients["executive"].post(f"/views/{view.id}/edit", data={"name": "  Drafts   only ", "shared": "y"})
    clients["executive"].post(f"/views/{view.id}/refilter", data={"query": "direction=to_asm"})
    (view,) = views()
    assert (view.name, view.shared, view.query) == ("Drafts only", True, "direction=to_asm")
    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity == "saved_view").order_by(AuditEvent.id)
        )
    )
    assert actions == ["create", "update", "update"]
    assert clients["executive"].post(f"/views/{view.id}/delete").status_code == 302
    assert views() == []


def test_who_may_change_a_view(clients, register):
    save(clients["executive"], "Personal", "status=draft")
    save(clients["executive"], "Shared", "status=draft", shared="y")
    personal, shared = views()
    # a department head may see the shared one but not change it; nobody else sees the personal one
    assert clients["department_head"].post(f"/views/{shared.id}/edit", data={"name": "X"}).status_code == 403
    assert clients["department_head"].post(f"/views/{shared.id}/delete").status_code == 403
    assert clients["risk_manager"].post(f"/views/{personal.id}/delete").status_code == 404
    # risk managers and admins keep shared views tidy
    assert (
        clients["risk_manager"]
        .post(f"/views/{shared.id}/edit", data={"name": "Tidy", "shared": "y"})
        .status_code
        == 302
    )
    assert clients["admin"].post(f"/views/{shared.id}/delete").status_code == 302
    assert [view.name for view in views()] == ["Personal"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"name": "x" * 81}, "80"),
        ({"name": "Bad", "query": "status=deleted"}, "cannot be saved"),
        ({"name": "Bad", "query": "col=password"}, "cannot be saved"),
        ({"name": "Bad", "query": "sort=password"}, "cannot be saved"),
        ({"name": "Bad", "query": "x" * 3000}, "The view was not saved"),
    ],
)
def test_bad_views_are_refused_with_a_message_and_nothing_written(clients, register, data, message):
    response = clients["executive"].post(
        "/views", data={"page": "register", "query": "", **data}, follow_redirects=True
    )
    assert response.status_code == 200 and message in text_of(response)
    assert views() == []


def test_a_name_is_unique_per_owner_and_page(clients, register):
    save(clients["executive"], "Drafts", "status=draft")
    response = save(clients["executive"], "drafts", "status=open")
    assert response.status_code == 302 and len(views()) == 1
    save(clients["executive"], "Drafts", "status=open", page="controls")  # another page
    save(clients["risk_manager"], "Drafts", "status=open")  # another owner
    assert len(views()) == 3
    refused = clients["executive"].post(
        "/views", data={"page": "dashboard", "name": "x"}, follow_redirects=True
    )
    assert "register and the control tracker only" in text_of(refused) and len(views()) == 3


def test_saving_needs_a_csrf_token(csrf_app, users, register):
    from tests.conftest import PASSWORD

    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": users["executive"].email, "password": PASSWORD, "csrf_token": token})
    response = client.post("/views", data={"page": "register", "name": "No token", "query": ""})
    assert response.status_code == 400 and views() == []
    html = client.get("/risks").get_data(as_text=True)
    token = re.search(r'action="/views">\s*<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token, "the save form carries its token"
    client.post(
        "/views", data={"page": "register", "name": "With token", "query": "", "csrf_token": token.group(1)}
    )
    assert [view.name for view in views()] == ["With token"]


def test_column_chooser_shows_the_chosen_columns_and_is_saved_with_the_view(clients, register):
    html = clients["executive"].get("/risks?col=site&col=title").get_data(as_text=True)
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    headings = re.findall(r">(\w[\w ]*?)(?: [▲▼])?</a></th>", head)
    assert headings == ["Ref", "Title", "Site"]  # in the table's order, the ref always
    assert "sort=title&amp;col=title&amp;col=site" in html or "col=title&amp;col=site" in html
    assert clients["executive"].get("/risks?col=password").status_code == 400
    save(clients["executive"], "Narrow", "col=site&col=title&status=open")
    (view,) = views()
    assert view.query == "status=open&col=title&col=site"
    opened = clients["executive"].get(f"/views/{view.id}", follow_redirects=True).get_data(as_text=True)
    assert "<th>" in opened and ">Owner</a></th>" not in opened and ">Title</a></th>" in opened


def test_tracker_opens_on_open_controls_by_due_date_and_takes_views(clients, users):
    manager = users["risk_manager"]
    later = new_control(manager, title="Later", due_date=today() + timedelta(days=20))
    sooner = new_control(manager, title="Sooner", due_date=today() + timedelta(days=2))
    done = new_control(manager, title="Done", due_date=today() + timedelta(days=1))
    done.status = ControlStatus.CANCELLED
    db.session.commit()
    assert refs(clients["executive"].get("/controls"), "C") == [sooner.ref, later.ref]
    assert refs(clients["executive"].get("/controls?view=none"), "C") == [done.ref, sooner.ref, later.ref]
    save(clients["executive"], "Cancelled", "status=cancelled", page="controls", make_default="y")
    assert refs(clients["executive"].get("/controls"), "C") == [done.ref]


def test_dates_never_wrap(clients, register, users):
    new_control(users["risk_manager"], title="Dated")
    assert re.search(r'<td[^>]*class="date[^"]*">', clients["executive"].get("/risks").get_data(as_text=True))
    assert re.search(r'<td[^>]*class="date">', clients["executive"].get("/controls").get_data(as_text=True))
    from riskreg.config import ROOT

    css = (ROOT / "riskreg" / "static" / "css" / "app.css").read_text()
    assert re.search(r"td\.date[^{]*\{[^}]*white-space: nowrap", css)


def test_site_and_owner_headings_sort_the_register(clients, register):
    html = clients["executive"].get("/risks").get_data(as_text=True)
    assert "sort=-site" in html and "sort=-owner" in html
    assert clients["executive"].get("/risks?sort=site&per_page=1").status_code == 200
