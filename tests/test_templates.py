"""Risk templates: the library itself, "New risk from template" pre-filling the form, and the
suggested controls created with one click each (audited, linked, turning coverage to planned)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter

import pytest
import sqlalchemy as sa

from riskreg.config import ROOT
from riskreg.controls.models import Control, ControlStatus, risk_controls
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks.models import Risk
from riskreg.standards import links
from riskreg.standards.templates import get_template
from tests.asm_helpers import cell_state, load_catalogue
from tests.conftest import department_id, risk_form, text_of
from tests.controls_support import events

SEEDS = ROOT / "seeds"


def toml(name: str) -> dict:
    return tomllib.loads((SEEDS / name).read_text())


def test_template_library_is_consistent():
    templates = toml("risk_templates.toml")["templates"]
    departments = {d["name"] for d in toml("departments.toml")["departments"]}
    categories = set(toml("taxonomy.toml")["categories"])
    codes = {r["code"] for r in toml("standards.toml")["requirements"]}
    directions = Counter(t["direction"] for t in templates)
    assert len(templates) >= 30 and set(directions) == {"to_company", "to_communities", "to_asm"}
    assert min(directions.values()) >= 10
    assert len({t["code"] for t in templates}) == len(templates)
    for t in templates:
        assert t["category"] in categories, t["code"]
        assert t["owner_department"] in departments and set(t["supporting_departments"]) <= departments
        assert set(t["requirements"]) <= codes, t["code"]
        assert 1 <= t["inherent_likelihood"] <= 5 and 1 <= t["inherent_impact"] <= 5
        assert t["controls"], t["code"]
        for control in t["controls"]:
            assert control["department"] in departments, (t["code"], control)
    # the review moved work to the departments that do it
    a01 = {c["title"]: c["department"] for c in templates[0]["controls"]}
    assert a01["VPSHR-compliant response procedure"] == "Security"
    assert a01["Liaison with mining cadastre on ASM permits"] == "Government Relations"


@pytest.fixture
def catalogue(app):
    load_catalogue()


def selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option selected value="([^"]*)"', select)


def test_new_risk_from_template_prefills_the_form(catalogue, clients, make_site):
    site = make_site(name="Nyota")
    html = clients["risk_manager"].get(f"/risks/new?template=A06&site={site.id}").get_data(as_text=True)
    template = get_template("A06")
    assert f'value="{template["title"]}"' in html
    assert template["description"] in html and template["cause"] in html
    assert selected(html, "direction") == ["to_company"]
    assert selected(html, "category") == ["Health &amp; Safety"]
    assert selected(html, "inherent_likelihood") == ["3"] and selected(html, "inherent_impact") == ["5"]
    # what the template does not state is left for the person to choose
    for name in ("impact_area", "residual_likelihood", "residual_impact", "treatment"):
        assert selected(html, name) == [""], name
    assert selected(html, "site_id") == [str(site.id)]
    assert sorted(selected(html, "requirements")) == ["IRMA-3.6", "RJC-COP-35"]
    assert 'name="template_code" type="hidden" value="A06"' in html
    page = text_of(clients["risk_manager"].get("/risks/new?template=A06"))
    assert (
        "Suggested controls" in page
        and "Emergency response covering non-employees Health & Safety" in page.replace("&amp;", "&")
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [("template=ZZZ", "There is no risk template 'ZZZ'"), ("template=A01&site=abc", "no site with id 'abc'")],
)
def test_bad_template_address_is_a_400(catalogue, clients, query, message):
    response = clients["risk_manager"].get(f"/risks/new?{query}")
    assert response.status_code == 400 and message in text_of(response).replace("&#39;", "'")


def test_template_picker_lists_every_template(catalogue, clients, make_site):
    site = make_site()
    html = clients["risk_manager"].get(f"/standards/templates?site={site.id}").get_data(as_text=True)
    assert html.count("Use template") == len(toml("risk_templates.toml")["templates"])
    assert f"/risks/new?template=A01&amp;site={site.id}" in html
    assert "Use template" not in clients["executive"].get("/standards/templates").get_data(as_text=True)
    assert clients["executive"].get("/standards/templates?site=x").status_code == 400


def create_from_template(client, users, code: str, site_id: int) -> Risk:
    template = get_template(code)
    data = risk_form(
        title=template["title"],
        site_id=str(site_id),
        direction=template["direction"],
        category=template["category"],
        owner_id=users["risk_manager"].id,
        template_code=code,
        requirements=template["requirements"],
    )
    response = client.post("/risks/new", data=data)
    assert response.status_code == 302, text_of(response)
    return db.session.scalar(sa.select(Risk).where(Risk.template_code == code))


def history_of(client, risk: Risk) -> str:
    """The text of the History section of the risk's page."""
    html = client.get(f"/risks/{risk.id}").get_data(as_text=True)
    section = re.search(r'<section id="history".*?</section>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_one_click_suggested_controls(catalogue, clients, users, make_site, make_user):
    site = make_site(name="Nyota")
    client = clients["risk_manager"]
    suggestion = get_template("A15")["controls"][1]
    head = make_user("department_head", department=suggestion["department"], name="Gil Relations")
    risk = create_from_template(client, users, "A15", site.id)
    standards_page = clients["executive"].get("/standards").get_data(as_text=True)
    assert cell_state(standards_page, "IRMA-3.6", "Nyota") == "gap"
    assert cell_state(standards_page, "RJC-COP-35", "Nyota") == "gap"
    page = text_of(client.get(f"/risks/{risk.id}"))
    assert page.count("Create control") == len(get_template("A15")["controls"])

    due = {"due_date": "2027-03-31"}
    response = client.post(f"/standards/risks/{risk.id}/suggested-controls", data={"number": "2", **due})
    assert response.status_code == 302
    db.session.rollback()
    control = db.session.scalar(sa.select(Control))
    assert control.ref == f"C-{control.id:04d}" and control.title == suggestion["title"]
    assert control.department_id == department_id(suggestion["department"])
    assert control.owner_id == head.id  # the controls service's default: the department's head
    assert control.status is ControlStatus.PLANNED and control.formalisation_support
    assert control.due_date.isoformat() == "2027-03-31"
    assert control.created_by_id == users["risk_manager"].id
    assert db.session.scalars(sa.select(risk_controls.c.risk_id)).all() == [risk.id]
    assert links.linked_codes("control", control.id) == ["IRMA-3.6", "RJC-COP-35"]
    trail = events("control", control.id)
    assert [e.action for e in trail] == [
        "create",
        "link",
        "update",
        "risk_role",
    ]  # its role from the template
    assert trail[3].changes == {"role": [None, suggestion["role"]]}
    assert {e.actor_id for e in trail} == {users["risk_manager"].id}
    assert trail[0].changes["title"] == [None, suggestion["title"]]
    assert trail[0].changes["owner"] == [None, "Gil Relations"]
    assert trail[1].changes == {"risks": [None, risk.ref]}
    assert trail[2].changes == {"requirements": [[], ["IRMA-3.6", "RJC-COP-35"]]}

    assert f"Created as {control.ref}" in text_of(client.get(f"/risks/{risk.id}"))
    standards_page = clients["executive"].get("/standards").get_data(as_text=True)
    assert cell_state(standards_page, "IRMA-3.6", "Nyota") == "planned"
    assert cell_state(standards_page, "RJC-COP-35", "Nyota") == "planned"

    again = client.post(
        f"/standards/risks/{risk.id}/suggested-controls", data={"number": "2", **due}, follow_redirects=True
    )
    assert "already mitigates" in text_of(again)
    for number in ("0", "99", "two", ""):
        refused = client.post(
            f"/standards/risks/{risk.id}/suggested-controls",
            data={"number": number, **due},
            follow_redirects=True,
        )
        assert "has no suggested control" in text_of(refused) or "Choose one of" in text_of(refused)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Control.id))) == 1


def test_the_risk_history_shows_a_suggested_control_as_one_added_on_the_risk_page(
    catalogue, clients, users, make_site, make_risk
):
    client = clients["risk_manager"]
    from_template = create_from_template(client, users, "A15", make_site().id)
    by_hand = make_risk(title="Pits on the lease")
    # Closure Planning has no head: both ways name an owner and a due date
    owner = {"owner_id": str(users["risk_manager"].id), "due_date": "2027-03-31"}
    suggested = client.post(
        f"/standards/risks/{from_template.id}/suggested-controls", data={"number": "1", **owner}
    )
    assert suggested.status_code == 302
    title = get_template("A15")["controls"][0]["title"]
    form = {"title": title, "department_id": str(department_id("Closure Planning")), **owner}
    assert client.post(f"/risks/{by_hand.id}/controls/new", data=form).status_code == 302
    # the suggestion's role on the bowtie comes after its link, as its own event
    assert events("risk", from_template.id)[-1].action == "control_role"
    suggested, added = (
        [e for e in events("risk", risk.id) if e.action != "control_role"][-1]
        for risk in (from_template, by_hand)
    )
    for event in (suggested, added):
        assert event.action == "link_control" and event.note == title
        assert event.actor_id == users["risk_manager"].id
    refs = [
        db.session.scalar(
            sa.select(Control.ref)
            .join(risk_controls, risk_controls.c.control_id == Control.id)
            .where(risk_controls.c.risk_id == r.id)
        )
        for r in (from_template, by_hand)
    ]
    assert suggested.changes == {"controls": [None, refs[0]]}
    assert added.changes == {"controls": [None, refs[1]]}
    for risk, ref in zip((from_template, by_hand), refs, strict=True):
        history = history_of(client, risk)
        assert "Link control by Rhea Risk" in history and ref in history and title in history


def test_a_suggestion_for_an_inactive_department_writes_nothing(catalogue, clients, users, make_site):
    client = clients["risk_manager"]
    risk = create_from_template(client, users, "A15", make_site().id)
    db.session.execute(
        sa.update(Department).where(Department.name == "Closure Planning").values(active=False)
    )
    db.session.commit()
    response = client.post(
        f"/standards/risks/{risk.id}/suggested-controls", data={"number": "1"}, follow_redirects=True
    )
    assert "'Closure Planning' does not exist or is inactive" in text_of(response).replace("&#39;", "'")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Control.id))) == 0
    assert [e.action for e in events("risk", risk.id)] == ["create"]


def test_risks_without_template_offer_nothing(catalogue, clients, make_risk):
    risk = make_risk()
    assert "Suggested controls" not in text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    response = clients["risk_manager"].post(
        f"/standards/risks/{risk.id}/suggested-controls", data={"number": "1"}, follow_redirects=True
    )
    assert "was not created from a template" in text_of(response)
