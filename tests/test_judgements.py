"""No judgement that nobody made: a form submitted untouched records no treatment, score, category,
finding or role that the person did not choose, and the services refuse a risk that leaves one out.

The untouched post is what a browser sends (tests/form_support.py): a select with nothing
selected sends its first option, so any preset answer would be saved here.
"""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.risks import services
from riskreg.risks.models import Risk, Treatment
from riskreg.sites.models import AsmObservation, Engagement, Site
from riskreg.standards.templates import get_template
from tests.asm_helpers import load_catalogue
from tests.conftest import text_of as raw_text
from tests.form_support import untouched_form

JUDGEMENTS = (
    "direction",
    "category",
    "impact_area",
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
    "treatment",
)


def text_of(response) -> str:
    return html.unescape(raw_text(response))


def risk_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Risk.id)))


def test_the_new_risk_form_presets_no_judgement(clients, users):
    client = clients["risk_manager"]
    sent = untouched_form(client.get("/risks/new").get_data(as_text=True), "treatment")
    assert {name: sent[name] for name in JUDGEMENTS} == dict.fromkeys(JUDGEMENTS, "")
    # what is kept: the person creating it owns it, and a new risk is open
    assert sent["owner_id"] == str(users["risk_manager"].id) and sent["status"] == "open"

    sent["title"] = "Mercury use upstream"
    page = text_of(client.post("/risks/new", data=sent))
    for message in (
        "Choose the direction: whom the risk harms.",
        "Choose the category of the risk.",
        "Choose the consequence area that drives the impact.",
        "Choose the inherent likelihood: a level from 1 to 5.",
        "Choose the residual impact: a level from 1 to 5.",
        "Choose the treatment: avoid, reduce, transfer or accept.",
    ):
        assert message in page
    assert risk_count() == 0


def test_a_template_risk_saved_without_a_choice_of_treatment_is_refused(app, clients):
    load_catalogue()
    client = clients["risk_manager"]
    template = get_template("A01")
    html = client.get("/risks/new?template=A01").get_data(as_text=True)
    sent = untouched_form(html, "treatment")
    # what the template says is filled in; what it does not say is left to the person
    assert (sent["title"], sent["direction"], sent["category"]) == (
        template["title"],
        template["direction"],
        template["category"],
    )
    assert (sent["inherent_likelihood"], sent["inherent_impact"]) == ("4", "4")
    assert sent["treatment"] == sent["impact_area"] == sent["residual_likelihood"] == ""

    sent.update(residual_likelihood="3", residual_impact="4", impact_area="social")
    response = client.post("/risks/new?template=A01", data=sent)
    assert response.status_code == 200
    assert "Choose the treatment: avoid, reduce, transfer or accept." in text_of(response)
    assert risk_count() == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "risk")) == 0

    sent["treatment"] = "transfer"
    assert client.post("/risks/new?template=A01", data=sent).status_code == 302
    db.session.rollback()
    risk = db.session.scalar(sa.select(Risk))
    assert risk.template_code == "A01" and risk.treatment is Treatment.TRANSFER


def risk_values(users, **over):
    values = {
        "title": "Pits inside the lease",
        "direction": "to_company",
        "category": "Land Access & Tenure",
        "impact_area": "social",
        "owner_id": users["risk_manager"].id,
        "inherent_likelihood": 4,
        "inherent_impact": 4,
        "residual_likelihood": 3,
        "residual_impact": 3,
        "treatment": "reduce",
        "status": "open",
    }
    return values | over


@pytest.mark.parametrize("field", [*JUDGEMENTS, "title", "owner_id"])
def test_the_service_refuses_a_risk_that_leaves_a_judgement_out(users, field):
    """An import, the CLI or a future API gets the same rule: nothing fills a judgement in."""
    with pytest.raises(services.RiskRuleError) as refused:
        services.create_risk(risk_values(users, **{field: None}), users["risk_manager"])
    assert refused.value.field == field
    assert risk_count() == 0


def test_an_edit_cannot_empty_a_judgement(users, make_risk):
    risk = make_risk()
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS} | {"treatment": None}
    with pytest.raises(services.RiskRuleError, match="Choose the treatment") as refused:
        services.update_risk(risk, data, users["risk_manager"], risk.version)
    assert refused.value.field == "treatment"
    db.session.rollback()
    assert db.session.get(Risk, risk.id).treatment is Treatment.REDUCE


def test_the_observation_form_defaults_to_unknown_or_asks(clients, make_site):
    site = make_site()
    client = clients["risk_manager"]
    path = f"/sites/{site.id}/observations/new"
    sent = untouched_form(client.get(path).get_data(as_text=True), "location")
    # the honest "don't know" where it exists ...
    assert sent["formalisation_status"] == "unknown"
    assert sent["oecd_legitimacy"] == "not_assessed"
    assert sent["women_participation"] == "unknown"
    # ... and an explicit choice where none does
    for name in ("location", "activity_type", "mercury_use", "cyanide_use", "source"):
        assert sent[name] == "", name
    page = text_of(client.post(path, data=sent))
    for message in (
        "Say where the ASM was observed.",
        "Choose the type of activity (Other if none fits).",
        "Say whether mercury use was observed, reported or not observed.",
        "Choose the source of the information.",
    ):
        assert message in page
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AsmObservation.id))) == 0


def test_the_engagement_form_asks_who_and_how(clients, make_site):
    site = make_site()
    client = clients["risk_manager"]
    path = f"/sites/{site.id}/engagements/new"
    sent = untouched_form(client.get(path).get_data(as_text=True), "stakeholder_group")
    assert sent["stakeholder_group"] == sent["mode"] == ""
    sent["topics"] = "Access to the northern pits"
    page = text_of(client.post(path, data=sent))
    assert "Choose the stakeholder group engaged." in page
    assert "Say whether the engagement was direct or indirect." in page
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == 0


def test_the_site_form_asks_for_the_lifecycle(clients):
    client = clients["admin"]
    sent = untouched_form(client.get("/sites/new").get_data(as_text=True), "lifecycle")
    assert sent["lifecycle"] == "" and sent["asm_approach"] == "not_defined"
    sent.update(name="Tarkwa", country="Ghana")
    assert "Choose the site's lifecycle stage." in text_of(client.post("/sites/new", data=sent))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 0


def test_the_user_form_does_not_preset_admin(clients):
    client = clients["admin"]
    sent = untouched_form(client.get("/users/new").get_data(as_text=True), "role")
    assert sent["role"] == ""
    sent.update(email="new@example.com", name="New Person", password="x" * 14, confirm="x" * 14)
    assert "Choose the user's role." in text_of(client.post("/users/new", data=sent))
    db.session.rollback()
    assert db.session.scalar(sa.select(User.id).where(User.email == "new@example.com")) is None
