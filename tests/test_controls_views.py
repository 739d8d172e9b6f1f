"""Control pages: the tracker's filters, counts, sort and pagination; a head's own controls; the
control page; adding and linking controls on a risk's page; each bad input gets its message."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.controls.models import Control, ControlStatus
from riskreg.extensions import db
from tests.conftest import department_id, text_of
from tests.controls_support import actions, fresh, legacy, new_control
from tests.edit_forms import edited

TODAY = date.today()


def refs(response) -> list[str]:
    return re.findall(r">(C-\d{4})</a></td>", response.get_data(as_text=True))


@pytest.fixture
def tracker(users, make_risk, make_site):
    north = make_site(name="North")
    north_risk = make_risk(title="Encroachment north", site_id=north.id)
    corporate_risk = make_risk(title="Supply chain laundering")
    rm = users["risk_manager"]
    made = {
        "overdue": new_control(
            rm, "Security", [north_risk], title="Fence", due_date=TODAY - timedelta(days=5)
        ),
        "soon": new_control(
            rm, "Security", [north_risk], title="Patrols", due_date=TODAY + timedelta(days=3)
        ),
        "later": new_control(
            rm, "Legal", [corporate_risk], title="KYC", due_date=TODAY + timedelta(days=60), owner_id=rm.id
        ),
        # saved before a due date was required
        "undated": legacy(
            new_control(rm, "Environment", [corporate_risk], title="Mercury survey", owner_id=rm.id),
            due_date=None,
        ),
        "done": new_control(
            rm,
            "Legal",
            [north_risk],
            title="Legal review",
            owner_id=rm.id,
            status=ControlStatus.IMPLEMENTED,
            due_date=TODAY - timedelta(days=30),
        ),  # fmt: skip
    }
    made.update(site=north, north_risk=north_risk, corporate_risk=corporate_risk)
    return made


def test_tracker_lists_every_department_by_due_date(clients, tracker):
    response = clients["executive"].get("/controls?view=none")
    assert response.status_code == 200
    expected = [tracker[k].ref for k in ("done", "overdue", "soon", "later", "undated")]
    assert refs(response) == expected  # undated last
    assert "5 days overdue" in text_of(response)


def test_tracker_opens_on_the_open_controls_by_due_date(clients, tracker):
    response = clients["executive"].get("/controls")
    assert refs(response) == [tracker[k].ref for k in ("overdue", "soon", "later", "undated")]
    assert 'value="open" selected' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["overdue", "soon", "later", "undated"]),
        ("status=implemented", ["done"]),
        ("status=done", ["done"]),
        ("overdue=1", ["overdue"]),
        ("due_within=14", ["soon"]),
        ("overdue=1&due_within=14", ["overdue", "soon"]),
        ("q=fence", ["overdue"]),
        ("site=corporate", ["later", "undated"]),
        ("sort=-due", ["later", "soon", "overdue", "done", "undated"]),  # no due date: last either way
    ],
)
def test_tracker_filters(clients, tracker, query, expected):
    response = clients["executive"].get(f"/controls?{query}")
    assert response.status_code == 200
    assert refs(response) == [tracker[k].ref for k in expected]


def test_tracker_filters_by_department_site_risk_and_owner(clients, tracker, users):
    client = clients["executive"]
    legal = department_id("Legal")
    assert sorted(refs(client.get(f"/controls?department={legal}"))) == sorted(
        [tracker["later"].ref, tracker["done"].ref]
    )
    assert set(refs(client.get(f"/controls?site={tracker['site'].id}"))) == {
        tracker[k].ref for k in ("overdue", "soon", "done")
    }
    assert set(refs(client.get(f"/controls?risk={tracker['corporate_risk'].id}"))) == {
        tracker["later"].ref, tracker["undated"].ref
    }  # fmt: skip
    head = users["department_head"]  # owns Security's controls by default
    assert set(refs(client.get(f"/controls?owner={head.id}"))) == {
        tracker["overdue"].ref,
        tracker["soon"].ref,
    }


def test_counts_per_department_and_status(clients, tracker):
    text = text_of(clients["executive"].get("/controls?status=open"))
    # Department, planned, in progress, implemented, verified, cancelled, overdue, open without an
    # owner, open without a due date, total
    assert "Legal 1 0 1 0 0 0 0 0 2" in text
    assert "Security 2 0 0 0 0 1 0 0 2" in text
    assert "Environment 1 0 0 0 0 0 0 1 1" in text  # the undated one
    assert "All departments 4 0 1 0 0 1 0 1 5" in text
    assert "4 controls" in text  # the list itself honours the status filter


def test_pagination(clients, tracker):
    first = clients["executive"].get("/controls?per_page=2")
    third = clients["executive"].get("/controls?per_page=2&page=3")
    assert len(refs(first)) == 2 and len(refs(third)) == 1
    assert "Page 1 of 3" in text_of(first)


@pytest.mark.parametrize(
    "query",
    [
        "department=abc",
        "status=finished",
        "overdue=maybe",
        "due_within=-1",
        "due_within=99999",
        "site=x",
        "risk=0",
        "owner=me",
        "sort=title",
        "page=0",
        "q=" + "x" * 300,
    ],
)
def test_bad_tracker_parameters_get_a_clear_400(clients, query):
    response = clients["executive"].get(f"/controls?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert name in text_of(response) or "search text" in text_of(response)


def test_mine_shows_the_heads_open_controls_overdue_first(clients, tracker, users):
    response = clients["department_head"].get("/controls/mine")
    assert response.status_code == 200
    text = text_of(response)
    page = response.get_data(as_text=True)
    assert page.index(tracker["overdue"].title) < page.index(tracker["soon"].title)
    assert tracker["later"].title not in text  # Legal's
    assert "Overdue 1" in text and "Due within 14 days 1" in text
    assert "Close as implemented" in text and "Move to in progress" in text


def test_mine_without_a_department_points_to_the_tracker(clients):
    text = text_of(clients["risk_manager"].get("/controls/mine"))
    assert "not assigned to a department" in text


def test_control_page_lists_risks_notes_and_history(clients, tracker, users):
    control = tracker["done"]
    page = text_of(clients["executive"].get(f"/controls/{control.id}"))
    assert tracker["north_risk"].ref in page and tracker["north_risk"].title in page
    assert "Create by Rhea Risk" in page and "Link by Rhea Risk" in page
    assert "Close as implemented" not in page and "Edit" not in page  # an executive changes nothing


def test_unknown_control_is_404(clients):
    assert clients["executive"].get("/controls/4242").status_code == 404


def test_risk_page_shows_its_controls_and_the_forms_for_managers(clients, tracker):
    risk = tracker["north_risk"]
    manager_page = text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    for key in ("overdue", "soon", "done"):
        assert tracker[key].ref in manager_page
    assert "5 days overdue" in manager_page and "Sam Security" in manager_page
    assert "Add a new control" in manager_page and "Link an existing control" in manager_page
    head_page = text_of(clients["department_head"].get(f"/risks/{risk.id}"))
    assert "Add a new control" not in head_page and "Unlink" not in head_page


def control_form(**over) -> dict:
    data = {
        "title": "Community liaison officers at every pit cluster",
        "description": "Two officers per cluster.",
        "department_id": str(department_id("Community Relations")),
        "owner_id": "",
        "due_date": (TODAY + timedelta(days=30)).isoformat(),
    }
    data.update(over)
    return data


def test_add_a_control_from_the_risk_page(clients, make_risk, make_user):
    head = make_user(Role.DEPARTMENT_HEAD, department="Community Relations", name="Grace Mwita")
    risk = make_risk()
    response = clients["risk_manager"].post(f"/risks/{risk.id}/controls/new", data=control_form())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/risks/{risk.id}#controls")
    control = db.session.scalar(sa.select(Control))
    assert control.owner_id == head.id and control.department_id == department_id("Community Relations")
    page = text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    assert control.ref in page and "Grace Mwita" in page and "Link control by Rhea Risk" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("due_date", "31/02/2027", "is not a date: enter it as YYYY-MM-DD"),
        ("due_date", "soon", "is not a date"),
        ("department_id", "424242", "There is no active department with that id"),
        ("department_id", "", "Choose the department responsible"),
        ("owner_id", "424242", "does not exist"),
    ],
)
def test_bad_control_input_gets_its_message_and_nothing_is_written(clients, make_risk, field, value, message):
    risk = make_risk()
    response = clients["risk_manager"].post(
        f"/risks/{risk.id}/controls/new", data=control_form(**{field: value})
    )
    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count(Control.id))) == 0
    assert actions("risk", risk.id) == ["create"]


def test_new_control_form_can_be_prefilled(clients, make_risk):
    risk = make_risk()
    legal = department_id("Legal")
    page = clients["risk_manager"].get(
        f"/risks/{risk.id}/controls/new?title=KYC+of+buyers&department_id={legal}"
    )
    html = page.get_data(as_text=True)
    assert 'value="KYC of buyers"' in html and f'selected value="{legal}"' in html


def test_link_and_unlink_an_existing_control(clients, users, make_risk):
    first, second = make_risk(title="First"), make_risk(title="Second")
    control = new_control(users["risk_manager"], "Security", [first])
    client = clients["risk_manager"]
    response = client.post(f"/risks/{second.id}/controls/link", data={"control_ref": control.ref.lower()})
    assert response.status_code == 302
    page = text_of(client.get(f"/controls/{control.id}"))
    assert first.ref in page and second.ref in page
    assert "Link control by Rhea Risk" in text_of(client.get(f"/risks/{second.id}"))

    again = client.post(
        f"/risks/{second.id}/controls/link", data={"control_ref": control.ref}, follow_redirects=True
    )
    assert "already mitigates" in text_of(again)
    missing = client.post(
        f"/risks/{second.id}/controls/link", data={"control_ref": "C-9999"}, follow_redirects=True
    )
    assert "There is no control C-9999." in text_of(missing)

    question = client.get(f"/risks/{second.id}/controls/{control.id}/unlink")
    assert question.status_code == 200 and f"Unlink {control.ref}?" in text_of(question)
    unconfirmed = client.post(f"/risks/{second.id}/controls/{control.id}/unlink")
    assert unconfirmed.status_code == 200 and actions("risk", second.id)[-1] != "unlink_control"
    done = client.post(
        f"/risks/{second.id}/controls/{control.id}/unlink", data={"confirm": "yes"}, follow_redirects=True
    )
    controls_section = done.get_data(as_text=True).split('id="controls"')[1].split("</section>")[0]
    assert "no longer mitigates" in controls_section  # the message is where the jump lands
    assert actions("risk", second.id)[-1] == "unlink_control"
    assert fresh(control.id) is not None  # the control itself is kept
    assert (
        second.ref
        not in text_of(client.get(f"/controls/{control.id}")).split("Risks it mitigates")[1].split("Notes")[0]
    )


def test_archived_risks_take_no_new_controls(clients, make_risk, users):
    from riskreg.risks.services import archive_risk

    risk = make_risk()
    archive_risk(risk, users["risk_manager"])
    db.session.commit()
    response = clients["risk_manager"].post(f"/risks/{risk.id}/controls/new", data=control_form())
    assert response.status_code == 400 and "archived" in text_of(response)


def test_edit_a_control(clients, users):
    control = new_control(users["risk_manager"], "Security")
    url = f"/controls/{control.id}/edit"
    data = edited(
        clients["risk_manager"],
        url,
        "control-form",
        title="Renamed",
        department_id=str(department_id("Legal")),
        owner_id=str(users["risk_manager"].id),  # Legal has no head to default to
    )
    response = clients["risk_manager"].post(url, data=data)
    assert response.status_code == 302
    assert fresh(control.id).title == "Renamed"
    page = text_of(clients["risk_manager"].get(f"/controls/{control.id}"))
    assert "department Security Legal" in page


def test_titles_are_escaped(clients, users, make_risk):
    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", [risk], title="<script>alert(1)</script>")
    for path in (f"/controls/{control.id}", "/controls", f"/risks/{risk.id}"):
        html = clients["executive"].get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_no_audit_event_without_a_change(clients, users):
    control = new_control(users["risk_manager"], "Security")
    url = f"/controls/{control.id}/edit"
    data = edited(clients["risk_manager"], url, "control-form")
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = clients["risk_manager"].post(url, data=data, follow_redirects=True)
    assert "Nothing changed." in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before
