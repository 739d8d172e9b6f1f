"""Bulk changes from the register and the tracker: the page carries each item's version in its
checkbox, the post changes the selected items and says what it did (stale items named and left
alone), more than 500 are refused with nothing written, heads see and change only their own
department's controls."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk, RiskStatus
from tests.conftest import department_id, text_of
from tests.controls_support import new_control


def boxes(page: str, form: str) -> dict[str, str]:
    """The item checkboxes of the bulk form on the page: {ref-less id: "id:version"}."""
    values = re.findall(rf'<input type="checkbox" name="item" value="((\d+):\d+)" form="{form}"', page)
    return {ident: value for value, ident in values}


def events() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def test_the_register_changes_the_selected_risks_and_names_the_stale_one(clients, users, make_risk):
    one, two, untouched = make_risk(title="One"), make_risk(title="Two"), make_risk(title="Untouched")
    client = clients["risk_manager"]
    page = client.get("/risks?sort=title").get_data(as_text=True)
    assert 'id="bulk-risks"' in page and 'data-select-all="bulk-risks"' in page and "js/bulk.js" in page
    items = boxes(page, "bulk-risks")
    assert items[str(one.id)] == f"{one.id}:{one.version}"
    clients["admin"].post(f"/risks/{two.id}/archive", data={"reason": "x"})  # two moves on meanwhile
    clients["admin"].post(f"/risks/{two.id}/restore")
    response = client.post(
        "/risks/bulk",
        data={
            "item": [items[str(one.id)], items[str(two.id)]],
            "status": "draft",
            "back": "/risks?sort=title",
        },
        follow_redirects=True,
    )
    assert response.request.path == "/risks" and response.request.args["sort"] == "title"
    message = text_of(response)
    assert (
        "1 risk changed." in message
        and f"Left alone, because someone changed them after you loaded the page: {two.ref}" in message
    )
    db.session.rollback()
    assert [db.session.get(Risk, r.id).status for r in (one, two, untouched)] == [
        RiskStatus.DRAFT,
        RiskStatus.OPEN,
        RiskStatus.OPEN,
    ]


def test_over_500_items_are_refused_with_nothing_written(clients, make_risk):
    risk = make_risk()
    before = events()
    items = [f"{risk.id}:{risk.version}"] + [f"{n}:1" for n in range(10_000, 10_500)]
    response = clients["admin"].post(
        "/risks/bulk", data={"item": items, "status": "closed"}, follow_redirects=True
    )
    assert "501 items selected: a bulk change takes at most 500" in text_of(response)
    assert events() == before and db.session.get(Risk, risk.id).status is RiskStatus.OPEN


def test_a_bad_value_or_an_empty_change_is_a_message(clients, make_risk):
    risk = make_risk()
    item = f"{risk.id}:{risk.version}"
    for data, message in (
        ({"item": [item]}, "Choose what to change"),
        ({"item": [item], "owner_id": "nobody"}, "That owner is not one the page offered"),
        ({"item": [item], "next_review_date": "31/12/2027"}, "Not a valid date value"),
        ({"status": "open"}, "Select at least one item"),
        ({"item": [item], "site": "999999"}, "That site does not exist"),
    ):
        before = events()
        response = clients["risk_manager"].post("/risks/bulk", data=data, follow_redirects=True)
        assert response.status_code == 200 and message in text_of(response), (data, text_of(response)[-800:])
        assert events() == before


def test_back_goes_only_to_the_list(clients, make_risk):
    risk = make_risk()
    response = clients["risk_manager"].post(
        "/risks/bulk",
        data={"item": [f"{risk.id}:{risk.version}"], "status": "draft", "back": "https://evil.example/risks"},
    )
    assert response.headers["Location"] == "/risks"


def test_executives_and_heads_see_no_register_bulk_form(clients, make_risk):
    make_risk()
    for role in ("executive", "department_head"):
        page = clients[role].get("/risks").get_data(as_text=True)
        assert 'id="bulk-risks"' not in page and 'name="item"' not in page


def test_a_head_sees_boxes_only_on_their_departments_controls_and_no_department_choice(clients, users):
    ours = new_control(users["risk_manager"], "Security")
    legal = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    page = clients["department_head"].get("/controls").get_data(as_text=True)
    assert set(boxes(page, "bulk-controls")) == {str(ours.id)} and 'name="department_id"' not in page
    manager_page = clients["risk_manager"].get("/controls").get_data(as_text=True)
    assert set(boxes(manager_page, "bulk-controls")) == {str(ours.id), str(legal.id)}
    assert 'name="department_id"' in manager_page
    assert 'id="bulk-controls"' not in clients["executive"].get("/controls").get_data(as_text=True)
    when = today() + timedelta(days=60)
    response = clients["department_head"].post(
        "/controls/bulk",
        data={"item": [f"{ours.id}:{ours.version}"], "due_date": when.isoformat()},
        follow_redirects=True,
    )
    assert "1 control changed." in text_of(response)
    db.session.rollback()
    assert db.session.get(Control, ours.id).due_date == when
    before = events()
    tampered = clients["department_head"].post(
        "/controls/bulk", data={"item": [f"{legal.id}:{legal.version}"], "due_date": when.isoformat()}
    )
    moved = clients["department_head"].post(
        "/controls/bulk",
        data={"item": [f"{ours.id}:{ours.version + 1}"], "department_id": str(department_id("Legal"))},
    )
    assert (tampered.status_code, moved.status_code) == (403, 403) and events() == before


def test_a_manager_reassigns_controls_in_bulk(clients, users, make_user):
    new_head = make_user(Role.DEPARTMENT_HEAD, department="Security", name="Second Head")
    controls = [new_control(users["risk_manager"], "Security") for _ in range(3)]
    page = clients["risk_manager"].get("/controls").get_data(as_text=True)
    items = boxes(page, "bulk-controls")
    response = clients["risk_manager"].post(
        "/controls/bulk",
        data={"item": [items[str(c.id)] for c in controls], "owner_id": str(new_head.id)},
        follow_redirects=True,
    )
    assert "3 controls changed." in text_of(response)
    db.session.rollback()
    assert {db.session.get(Control, c.id).owner_id for c in controls} == {new_head.id}
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.entity == "control", AuditEvent.action == "update"
            )
        )
        == 3
    )
