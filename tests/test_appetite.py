"""Appetite per category: the seed, the admin's page, the register filter and marks, the dashboard
panel, escalation and the executives' view of it."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.acceptances import services as acceptance_services
from riskreg.appetite import queries, services
from riskreg.appetite.models import CategoryAppetite
from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.reference import categories
from tests.acceptance_support import EXTREME, MEDIUM, request
from tests.conftest import text_of
from tests.controls_support import new_control
from tests.xlsx_files import export, register_dicts

HS = "Health & Safety"


def appetite(**bands: str) -> None:
    for category, band in bands.items():
        db.session.merge(CategoryAppetite(category=category, max_band=band))
    db.session.commit()


def test_the_seed_sets_missing_categories_only(app, users):
    assert services.load_seed() == len(categories())
    db.session.commit()
    assert services.stored()[HS] == "medium" and services.stored()["Reputation"] == "high"
    services.set_appetites({HS: "high"}, users["admin"])
    db.session.commit()
    assert services.load_seed() == 0 and services.stored()[HS] == "high"


def test_above_within_and_escalated(make_risk, users):
    appetite(**{HS: "medium"})
    above = make_risk(**EXTREME, category=HS, title="Pit wall collapse")
    within = make_risk(**MEDIUM, category=HS, title="Dust")
    planned = make_risk(**EXTREME, category=HS, title="Blasting near pits")
    new_control(users["risk_manager"], "Security", [planned])
    accepted = make_risk(**EXTREME, category=HS, title="Night traffic")
    acceptance = request(accepted, users["risk_manager"], users["executive"])
    acceptance_services.decide(acceptance, True, "", users["executive"])
    db.session.commit()
    other = make_risk(**EXTREME, title="No appetite stated")  # Land Access & Tenure: none stated
    assert {r.title for r in _risks(queries.above_condition())} == {
        above.title,
        planned.title,
        accepted.title,
    }
    assert {r.title for r in _risks(queries.escalated_condition())} == {above.title}
    assert within.title in {r.title for r in _risks(~queries.above_condition())}
    assert other.title in {r.title for r in _risks(~queries.above_condition())}


def _risks(condition):
    from riskreg.risks.models import Risk

    return list(db.session.scalars(sa.select(Risk).where(condition)))


def test_the_register_filter_marks_and_export(clients, make_risk):
    appetite(**{HS: "medium"})
    above = make_risk(**EXTREME, category=HS, title="Pit wall collapse")
    make_risk(**MEDIUM, category=HS, title="Dust")
    client = clients["executive"]
    html = client.get("/risks?appetite=above").get_data(as_text=True)
    assert "Pit wall collapse" in html and "Dust" not in html
    assert html.count('class="flag acceptance acceptance-above-appetite"') == 1  # the row's mark
    assert "Dust" in text_of(client.get("/risks?appetite=within"))
    assert "Pit wall collapse" in text_of(client.get("/risks?appetite=escalated"))
    assert client.get("/risks?appetite=maybe").status_code == 400
    assert [row["Title"] for row in register_dicts(export(client, "?appetite=above"))] == [above.title]
    page = text_of(client.get(f"/risks/{above.id}"))
    assert "Above appetite." in page and "Escalated:" in page


def test_the_dashboard_panel_counts_per_category_and_direction(clients, make_risk, users):
    appetite(**{HS: "medium", "Reputation": "high"})
    make_risk(**EXTREME, category=HS, title="A")
    planned = make_risk(**EXTREME, category=HS, title="B", direction="to_communities")
    new_control(users["risk_manager"], "Security", [planned])
    make_risk(**EXTREME, category="Reputation", title="C")
    make_risk(**MEDIUM, category="Reputation", title="D")
    panel = queries.panel()
    assert panel["total"] == 3 and panel["escalated"] == 2
    assert panel["categories"][0] == (HS, "Medium", 2, 1)
    assert dict((d.value, n) for d, n in panel["directions"])["to_communities"] == 1
    page = text_of(clients["executive"].get("/dashboard"))
    assert "Above appetite" in page and "3 risks above appetite" in page and "2 escalated" in page


def test_admins_keep_the_appetite_audited(clients, users):
    appetite(**{HS: "medium"})
    index = categories().index(HS)
    client = clients["admin"]
    assert client.post("/appetite/edit", data={f"band-{index}": "high"}).status_code == 302
    assert services.stored()[HS] == "high"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "appetite"))
    assert event.changes == {HS: ["medium", "high"]}
    assert "High" in text_of(clients["executive"].get("/appetite"))
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = client.post("/appetite/edit", data={f"band-{index}": "catastrophic"})
    assert response.status_code == 400 and "not a band of the matrix" in text_of(response)
    assert services.stored()[HS] == "high"
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_an_empty_post_changes_nothing(clients):
    appetite(**{HS: "medium"})
    assert clients["admin"].post("/appetite/edit", data={}).status_code == 302
    assert services.stored() == {HS: "medium"}


def test_executives_see_escalated_risks_in_my_work(clients, make_risk, users):
    appetite(**{HS: "medium"})
    make_risk(**EXTREME, category=HS, title="Pit wall collapse")
    planned = make_risk(**EXTREME, category=HS, title="Blasting near pits")
    new_control(users["risk_manager"], "Security", [planned])
    page = text_of(clients["executive"].get("/me"))
    assert "Above appetite without a plan or acceptance" in page
    assert "Pit wall collapse" in page and "Blasting near pits" not in page
    assert "Above appetite without a plan" not in text_of(clients["risk_manager"].get("/me"))
