"""The grievance mechanism and the stakeholder map in French, Spanish and Portuguese: the pages with
data, their forms' errors and flashes, the rules' messages where they are shown, the reminder mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.modeling import today
from riskreg.stakeholders import services as stakeholder_services
from tests.conftest import text_of
from tests.grievance_support import new_grievance, new_stakeholder

NAME = "Abena Owusu"


@pytest.fixture
def case(users, make_user, login, make_site, make_risk):
    """A severe grievance from a cooperative, with a complainant, linked to a risk; a late one too."""
    officer = make_user(Role.GRIEVANCE_OFFICER, department="Community Relations", name="Gil Griev")
    site = make_site(name="Demo Gold Mine")
    cooperative = new_stakeholder(site)
    new_stakeholder(site, "Gold buyers of Bogoso", type="traders", influence=None, interest=None)
    risk = make_risk(site_id=site.id)
    grievance = new_grievance(
        site, officer, stakeholder_id=cooperative.id, severity=4, human_rights_impact=True,
        complainant={"name": NAME, "contact": "+233 24 555 0199"},
    )  # fmt: skip
    services.link_risk(grievance, risk.ref, officer)
    new_grievance(site, officer, received_on=today() - timedelta(days=40), category="health_safety")
    db.session.commit()
    return login(officer), grievance, site, risk


def page(client, url: str, lang: str = "fr", **args: str) -> str:
    response = client.get(url, query_string={"lang": lang, **args})
    assert response.status_code == 200, url
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)
    return text_of(response)


def absent(text: str, *english: str) -> None:
    left = [phrase for phrase in english if phrase in text]
    assert not left, f"English left: {left}"


def test_the_grievance_list_in_french_with_its_figures_filters_and_rows(case):
    client, grievance, *_ = case
    text = page(client, "/grievances")
    for french in ("Plaintes", "Enregistrer une plainte", "Chiffres clés",
                   "Réception accusée dans les délais", "Département responsable", "Délai dépassé",
                   "Reçues par mois et par catégorie", "Santé et sécurité", "droits humains",
                   "réception non accusée dans les 7 jours", "Filtrer", "Reçue le"):  # fmt: skip
        assert french in text, french
    absent(text, "Record a grievance", "Key figures", "Acknowledged on time", "Owner department",
           "Past a deadline", "Received per month", "Health and safety", "human rights",
           "not acknowledged within", "Filter", "Deadlines:", "on time", "Repeat grievances")  # fmt: skip
    assert grievance.ref in text
    empty = page(client, "/grievances", year="2001")
    assert "Aucune plainte pour ces filtres." in empty and "No grievances" not in empty


def test_a_grievance_page_in_french_with_the_confidential_complainant_steps_and_links(case):
    client, grievance, _, risk = case
    text = page(client, f"/grievances/{grievance.id}")
    for french in ("Plaignant", "confidentiel", "Enregistrer le plaignant", "Étapes", "Étape suivante",
                   "Enregistrer l’étape", "Risques et contrôles", "Historique", "Accuser réception avant le",
                   "allègue un impact sur les droits humains", "signale ses risques pour révision",
                   "Coopérative ou association", "Lier"):  # fmt: skip
        assert french in text, french
    assert "Le plaignant a-t-il accepté la réponse ?" in text
    absent(text, "Complainant", "Save complainant", "Steps", "accept the response", "Next step",
           "Record step", "Risks and controls", "History", "Acknowledge by", "Respond by",
           "alleges a human-rights impact", "flags its risks",
           "Cooperative or association", "Back to grievances", " by the system")  # fmt: skip
    assert NAME in text and risk.ref in text


def test_the_grievance_forms_in_french_and_a_rule_error_shown_in_french(case):
    client, grievance, site, _ = case
    text = page(client, "/grievances/new")
    for french in ("Reçue le", "Gravité (conséquence pour les personnes)", "Plaignant (confidentiel",
                   "— aucune, ou inconnue —", "Enregistrer la plainte",
                   "Par un agent de liaison"):  # fmt: skip
        assert french in text, french
    absent(text, "Received on", "Severity", "Complainant", "none, or not known", "Record grievance",
           "Through a liaison", "Choose a category")  # fmt: skip
    form = {"received_on": today().isoformat(), "site_id": site.id, "channel": "phone", "category": "land",
            "description": "", "severity": ""}  # fmt: skip
    refused = text_of(client.post("/grievances/new", data=form))
    assert "Décrivez la plainte." in refused and "Describe the grievance" not in refused
    edit = page(client, f"/grievances/{grievance.id}/edit")
    assert f"Modifier {grievance.ref}" in edit and "Retour à la plainte" in edit
    absent(edit, "Back to the grievance", "flags the linked risks")


def test_the_deadlines_page_and_its_errors_in_portuguese(clients):
    client = clients["admin"]
    text = page(client, "/grievances/settings", "pt")
    assert "Prazos do mecanismo de reclamações" in text and "flask grievances remind" in text
    assert "Confirmar o recebimento em (dias)" in text and "Responder em (dias)" in text
    absent(text, "Deadlines of the grievance mechanism", "Counted in days", " Cancel ", "within (days)")
    refused = text_of(
        client.post("/grievances/settings", data={"acknowledge_days": "10", "respond_days": "5"})
    )
    assert "A resposta não pode vencer antes da confirmação do recebimento." in refused
    absent(refused, "The response cannot be due")


def test_an_out_of_order_step_and_a_link_flash_in_spanish(case):
    client, grievance, _, risk = case
    client.get("/grievances", query_string={"lang": "es"})
    response = client.post(
        f"/grievances/{grievance.id}/step", data={"step": "resolved", "on": today().isoformat()}
    )
    text = text_of(client.get(response.headers["Location"]))
    assert "el siguiente paso no puede ser" in text
    absent(text, "cannot be", "next (next:")
    response = client.post(f"/grievances/{grievance.id}/links", data={"risk_ref": risk.ref})
    text = text_of(client.get(response.headers["Location"]))
    assert f"{grievance.ref} ya está vinculada a {risk.ref}." in text
    absent(text, "is already linked")
    response = client.post(
        f"/grievances/{grievance.id}/step", data={"step": "acknowledged", "on": today().isoformat()}
    )
    text = text_of(client.get(response.headers["Location"]))
    assert f"{grievance.ref} ahora está en" in text and "is now" not in text


def test_the_site_panel_and_the_engagement_page_in_spanish_and_portuguese(case, clients, make_site):
    client, _, site, _ = case
    manager = clients["risk_manager"]
    plan = {"year": today().year, "stakeholder_id": new_stakeholder(site, "Mine workers' union").id,
            "planned_count": 4, "frequency": "quarterly"}  # fmt: skip
    assert manager.post(f"/sites/{site.id}/plans/new", data=plan).status_code == 302
    text = page(manager, f"/sites/{site.id}", "es")
    for spanish in ("Partes interesadas y planes de relacionamiento", "Nueva parte interesada", "Nuevo plan",
                    "prioridad alta", "Último encuentro", "Sin evaluar", "Comerciantes y compradores",
                    "encuentros previstos realizados en", "Quejas en este sitio", "Retirar"):  # fmt: skip
        assert spanish in text, spanish
    absent(text, "Stakeholders and engagement plans", "New stakeholder", "high priority", "Last engaged",
           "Traders and buyers", "planned engagements held", "Grievances at this site",
           "not engaged in", "(never)", "Retire")  # fmt: skip
    engagement = page(manager, "/engagement", "pt")
    assert f"Envolvimento das partes interessadas, {today().year}" in engagement
    assert "encontros previstos realizados em" in engagement
    absent(engagement, "Stakeholder engagement", "planned engagements held", "Show", "not engaged in")


def test_the_stakeholder_and_plan_forms_and_their_rule_errors_in_french(case, clients):
    _, _, site, _ = case
    manager = clients["risk_manager"]
    text = page(manager, f"/sites/{site.id}/stakeholders/new")
    for french in ("Nouvelle partie prenante à Demo Gold Mine", "Groupe ou organisation", "1 · très faible",
                   "Légitime au sens de l’OCDE", "Ajouter la partie prenante"):  # fmt: skip
        assert french in text, french
    absent(
        text, "New stakeholder", "Group or organisation", "very low", "Add stakeholder", "Back to the site"
    )
    form = {"name": "Prestea Galamsey Association", "type": "cooperative", "contact_person": "Yaw Darko"}
    refused = text_of(manager.post(f"/sites/{site.id}/stakeholders/new", data=form))
    assert "Une personne de contact n’est enregistrée que si son consentement est noté" in refused
    absent(refused, "only where their consent is noted")
    plan_page = page(manager, f"/sites/{site.id}/plans/new")
    assert "Nouveau plan de mobilisation à Demo Gold Mine" in plan_page and "Échanges prévus" in plan_page
    absent(plan_page, "New engagement plan", "Engagements planned", "Save plan")
    html = manager.get(f"/sites/{site.id}/plans/new").get_data(as_text=True)
    assert 'placeholder="trimestriel"' in html and "quarterly" not in html


def test_a_rule_message_is_translated_where_it_is_shown_not_where_it_is_raised(app):
    with app.test_request_context("/"):
        with force_locale("fr"):
            with pytest.raises(stakeholder_services.StakeholderError) as raised:
                stakeholder_services.check_stakeholder({"name": ""})
        assert str(raised.value) == "Name the group or organisation."  # raised in French, read in English
        with force_locale("pt"):
            assert str(raised.value) == "Indique o nome do grupo ou organização."


def test_the_overdue_reminder_goes_in_the_readers_own_language(runner, smtp, users, make_site):
    users["department_head"].locale = "fr"
    db.session.commit()
    late = new_grievance(make_site(), users["admin"], "Security", received_on=today() - timedelta(days=9))
    assert runner.invoke(args=["grievances", "remind"]).exit_code == 0
    message = smtp.to(users["department_head"].email)[0]
    body = message.get_content()
    assert "Bonjour" in body and "réception non accusée dans les 7 jours" in body and late.ref in body
    assert "plainte(s) ayant dépassé un délai" in message["Subject"]
    absent(body, "Hello", "These grievances", "not acknowledged", "Acknowledge a grievance")


def test_the_workbooks_grievances_sheet_in_french_and_in_english(case):
    from tests.xlsx_files import calamine_rows, export

    client, grievance, *_ = case
    english = calamine_rows(export(client), "Grievances")
    assert english[0][:3] == ["Ref", "Site", "Received"] and "Past a deadline" in english[0]
    client.get("/grievances", query_string={"lang": "fr"})
    rows = calamine_rows(export(client), "Plaintes")
    assert rows[0][:3] == ["Réf.", "Site", "Reçue le"] and "Délai dépassé" in rows[0]
    line = next(row for row in rows if row[0] == grievance.ref)
    assert "oui" in line and "yes" not in line
