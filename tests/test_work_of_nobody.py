"""Work that belongs to nobody: a control needs an owner (or a department with an active head) and a
due date; suggested controls ask for them; the demo has none without; the tracker, the dashboard
and the departments page show the ones that slipped through (saved before the rule, or whose owner
has left)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.controls import services
from riskreg.controls.models import OPEN_CONTROL_STATUSES, Control, ControlStatus
from riskreg.extensions import db
from riskreg.standards.templates import get_template
from tests.asm_helpers import load_catalogue
from tests.conftest import department_id, risk_form, text_of
from tests.controls_support import legacy, new_control

DUE = date(2027, 3, 31)


def control_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Control.id)))


def data(department: str, **over):
    return {"title": "Boundary patrols", "department_id": department_id(department), "owner_id": None} | {
        "due_date": DUE,
        **over,
    }


def test_a_control_in_a_department_without_a_head_needs_an_owner(users):
    with pytest.raises(services.ControlRuleError, match="Closure Planning has no active head") as refused:
        services.create_control(data("Closure Planning"), users["risk_manager"])
    assert refused.value.field == "owner_id"
    assert control_count() == 0
    control = services.create_control(
        data("Closure Planning", owner_id=users["risk_manager"].id), users["risk_manager"]
    )
    assert control.owner_id == users["risk_manager"].id


def test_an_inactive_head_is_no_head(users, make_user):
    make_user(Role.DEPARTMENT_HEAD, department="Legal", active=False)
    with pytest.raises(services.ControlRuleError, match="Legal has no active head"):
        services.create_control(data("Legal"), users["risk_manager"])


def test_a_control_needs_a_due_date(users):
    with pytest.raises(services.ControlRuleError, match="Give a due date") as refused:
        services.create_control(data("Security", due_date=None), users["risk_manager"])
    assert refused.value.field == "due_date"
    assert control_count() == 0


def test_an_edit_cannot_take_the_owner_or_the_due_date_away(users):
    control = new_control(users["risk_manager"], "Security", due_date=DUE)
    edit = {name: getattr(control, name) for name in services.EDITABLE_FIELDS}
    with pytest.raises(services.ControlRuleError, match="Give a due date"):
        services.update_control(control, edit | {"due_date": None}, users["risk_manager"], control.version)
    db.session.rollback()
    moved = edit | {"department_id": department_id("Operations"), "owner_id": None}
    with pytest.raises(services.ControlRuleError, match="Operations has no active head"):
        services.update_control(control, moved, users["risk_manager"], control.version)
    db.session.rollback()
    saved = db.session.get(Control, control.id)
    assert saved.due_date == DUE and saved.department_id == department_id("Security")


def test_the_control_form_says_what_is_missing(clients, make_risk):
    risk = make_risk()
    form = {"title": "Closure plan", "department_id": str(department_id("Closure Planning")), "owner_id": ""}
    page = text_of(
        clients["risk_manager"].post(f"/risks/{risk.id}/controls/new", data=form | {"due_date": ""})
    )
    assert "Closure Planning has no active head: choose who owns this control" in page
    assert control_count() == 0


@pytest.fixture
def template_risk(app, clients, users, make_site):
    """A risk made from template A15, whose first suggestion goes to Closure Planning (no head)."""
    load_catalogue()
    template = get_template("A15")
    assert template["controls"][0]["department"] == "Closure Planning"
    post = risk_form(
        title=template["title"],
        site_id=str(make_site().id),
        direction=template["direction"],
        category=template["category"],
        owner_id=users["risk_manager"].id,
        template_code="A15",
    )
    assert clients["risk_manager"].post("/risks/new", data=post).status_code == 302
    db.session.rollback()
    from riskreg.risks.models import Risk

    return db.session.scalar(sa.select(Risk).where(Risk.template_code == "A15"))


def suggest(client, risk, **form):
    return client.post(f"/standards/risks/{risk.id}/suggested-controls", data=form)


def test_a_suggested_control_without_owner_or_date_is_asked_for_not_created(clients, template_risk):
    client = clients["risk_manager"]
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = suggest(client, template_risk, number="1")  # Closure Planning: no head
    page = text_of(response)
    assert response.status_code == 200 and "Nothing has been created yet" in page
    assert "Closure Planning has no active head: choose who owns this control" in page
    html = response.get_data(as_text=True)
    assert 'name="due_date"' in html and 'name="owner_id"' in html and 'name="number"' in html
    assert control_count() == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


def test_a_suggested_control_in_a_department_with_a_head_needs_only_the_date(
    clients, template_risk, make_user
):
    client = clients["risk_manager"]
    head = make_user(Role.DEPARTMENT_HEAD, department="Closure Planning", name="Cleo Closure")
    page = text_of(suggest(client, template_risk, number="1"))
    assert "Give a due date: a control without one never becomes overdue" in page
    assert control_count() == 0
    assert suggest(client, template_risk, number="1", due_date="2027-03-31").status_code == 302
    control = db.session.scalar(sa.select(Control))
    assert (control.owner_id, control.due_date) == (head.id, DUE)


def test_a_suggested_control_without_a_head_asks_for_an_owner(clients, users, template_risk):
    client = clients["risk_manager"]
    html = client.get(f"/risks/{template_risk.id}").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td[^>]*>[^<]*Closure plan.*?</tr>", html, re.S).group(0)
    assert "no active head" in row and 'name="owner_id"' in row and 'name="due_date"' in row

    response = suggest(client, template_risk, number="1", due_date="2027-03-31")
    assert response.status_code == 200
    assert "Closure Planning has no active head: choose who owns this control" in text_of(response)
    assert control_count() == 0

    rhea = str(users["risk_manager"].id)
    assert suggest(client, template_risk, number="1", due_date="2027-03-31", owner_id=rhea).status_code == 302
    control = db.session.scalar(sa.select(Control))
    assert (control.owner_id, control.due_date) == (users["risk_manager"].id, DUE)


def test_the_demo_has_no_ownerless_or_undated_control(runner):
    from riskreg.controls.rules import default_owner
    from riskreg.departments.models import Department

    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    controls = db.session.scalars(sa.select(Control)).all()
    assert len(controls) >= 20 and department_id("Operations") in {c.department_id for c in controls}
    assert [c.title for c in controls if c.owner_id is None or c.due_date is None] == []
    # every department has a head, so a suggestion made in the demo needs only its due date
    headless = [d.name for d in db.session.scalars(sa.select(Department)) if default_owner(d.id) is None]
    assert headless == []


@pytest.fixture
def nobodys_work(users, make_user):
    """Two open controls that belong to nobody, one without a due date, as saved before the rule."""
    rm = users["risk_manager"]
    leaver = make_user(Role.DEPARTMENT_HEAD, department="Legal", name="Lee Leaver")
    made = {
        "owned": new_control(rm, "Security", title="Patrols"),
        "no owner": legacy(new_control(rm, "Security", title="Fence"), owner_id=None),
        "left": new_control(rm, "Legal", title="KYC"),
        "undated": legacy(new_control(rm, "Security", title="Signage"), due_date=None),
        "done": legacy(
            new_control(rm, "Security", title="Old", status=ControlStatus.IMPLEMENTED),
            owner_id=None,
            due_date=None,
        ),
    }
    leaver.active = False  # the owner of "KYC" left
    db.session.commit()
    return made


def refs(response) -> list[str]:
    return re.findall(r">(C-\d{4})</a></td>", response.get_data(as_text=True))


def test_the_tracker_counts_and_lists_the_work_of_nobody(clients, nobodys_work):
    client = clients["executive"]
    html = client.get("/controls").get_data(as_text=True)
    totals = re.search(r'<tr class="totals">.*?</tr>', html, re.S).group(0)
    ownerless = re.search(r'data-count="ownerless" href="([^"]+)">(\d+)<', totals)
    undated = re.search(r'data-count="undated" href="([^"]+)">(\d+)<', totals)
    assert ownerless.group(2) == "2" and undated.group(2) == "1"

    listed = client.get(ownerless.group(1).replace("&amp;", "&"))
    assert sorted(refs(listed)) == sorted([nobodys_work["no owner"].ref, nobodys_work["left"].ref])
    listed = client.get(undated.group(1).replace("&amp;", "&"))
    assert refs(listed) == [nobodys_work["undated"].ref]
    every = client.get("/controls?owner=none")  # any status: the implemented one too
    assert nobodys_work["done"].ref in refs(every) and nobodys_work["owned"].ref not in refs(every)


@pytest.mark.parametrize("query", ["due=soon", "due=1", "due=2027-01-01"])
def test_the_new_filters_are_parsed_strictly(clients, query):
    response = clients["executive"].get(f"/controls?{query}")
    name = query.split("=")[0]
    assert response.status_code == 400 and f"Filter '{name}'" in html.unescape(text_of(response))


def test_the_dashboard_shows_the_work_of_nobody(clients, nobodys_work):
    client = clients["executive"]
    html = client.get("/dashboard").get_data(as_text=True)
    card = re.search(r'<section class="card kpi work-of-nobody">.*?</section>', html, re.S).group(0)
    ownerless = re.search(r'data-count="ownerless" href="([^"]+)">(\d+)<', card)
    undated = re.search(r'data-count="undated" href="([^"]+)">(\d+)<', card)
    assert (ownerless.group(2), undated.group(2)) == ("2", "1")
    assert len(refs(client.get(ownerless.group(1).replace("&amp;", "&")))) == 2
    assert refs(client.get(undated.group(1).replace("&amp;", "&"))) == [nobodys_work["undated"].ref]


def test_the_departments_page_flags_departments_without_an_active_head(clients, nobodys_work):
    html = clients["admin"].get("/departments").get_data(as_text=True)

    def row(name: str) -> str:
        return re.search(rf'<tr[^>]*data-department="{department_id(name)}">.*?</tr>', html, re.S).group(0)

    assert "No active head" not in row("Security") and "Sam Security" in row("Security")
    legal = text_of_html(row("Legal"))
    assert "No active head" in legal and "Lee Leaver" not in legal  # the head left
    assert "nobody is reminded of its 1 open control" in legal
    assert "No active head" in row("Operations") and "nobody is reminded" not in row("Operations")
    open_legal = db.session.scalar(
        sa.select(sa.func.count(Control.id)).where(
            Control.department_id == department_id("Legal"), Control.status.in_(OPEN_CONTROL_STATUSES)
        )
    )
    assert open_legal == 1


def text_of_html(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))
