"""Critical controls, the bowtie, risk acceptance and the appetite in French, Spanish and
Portuguese: pages, flashes and the rules' messages in the reader's language, stored values in English."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale

from riskreg.acceptances import services as acceptance_services
from riskreg.acceptances.models import Acceptance
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.controls.models import Effectiveness
from riskreg.critical import services
from riskreg.critical.models import Result, Verification
from riskreg.extensions import db
from riskreg.modeling import today
from tests.acceptance_support import EXTREME, JUSTIFICATION, request
from tests.conftest import text_of
from tests.controls_support import new_control
from tests.critical_support import make_critical


@pytest.fixture
def setup(make_risk, make_user, users, login):
    risk = make_risk(title="Security forces harm community members")
    control = new_control(users["risk_manager"], "Security", risks=[risk], title="VPSHR training of guards")
    make_critical(control, users["risk_manager"], verifier="Legal", starts_on=today() - timedelta(days=40))
    services.plan()
    db.session.commit()
    legal_head = make_user(Role.DEPARTMENT_HEAD, department="Legal", name="Lena Legal")
    checks = [c.id for c in services.active_checks(services.standard_of(control))]
    return {"risk": risk, "control": control, "verifier": login(legal_head), "checks": checks}


def page(client, url: str, lang: str) -> str:
    response = client.get(url, query_string={"lang": lang})
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    return text_of(response)


def section(client, url: str, lang: str, ident: str) -> str:
    """The text of one <section id=...> of a page (the parts of the risk page that are not ours
    are checked by their own tests)."""
    response = client.get(url, query_string={"lang": lang})
    html = response.get_data(as_text=True)
    start = html.index(f'id="{ident}"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)]))


def absent(text: str, *english: str) -> None:
    left = [phrase for phrase in english if phrase in text]
    assert not left, left


def test_the_critical_controls_list_and_a_control_page_in_french(setup, clients):
    manager = clients["risk_manager"]
    listing = page(manager, "/controls/critical", "fr")
    assert "Contrôles critiques" in listing and "Vérifiés à temps" in listing
    assert "Département responsable" in listing and "Actions immédiates ouvertes" in listing
    absent(
        listing, "Critical controls", "Verified on time", "Not yet verified", "Owner department", "Compliance"
    )
    control = page(manager, f"/controls/{setup['control'].id}/critical", "fr")
    assert "Norme de performance" in control and "Calendrier de vérification" in control
    assert "Pourquoi il est critique" in control and "Enregistrer le calendrier" in control
    absent(
        control,
        "Why it is critical",
        "Performance standard",
        "Verification schedule",
        "Expected answer",
        "What a failure means",
        "Save the schedule",
        "No longer critical",
        "overdue by",
    )


def test_the_verification_form_in_spanish_and_its_rule_error_in_french(setup):
    verifier, control, checks = setup["verifier"], setup["control"], setup["checks"]
    form = page(verifier, f"/controls/{control.id}/verifications/new", "es")
    assert "Puntos del estándar de desempeño" in form and "Registrar la verificación" in form
    absent(
        form, "Checks of the performance standard", "Immediate action", "Findings", "Record the verification"
    )
    data = {f"answer-{checks[0]}": "pass", f"answer-{checks[1]}": "fail", "lang": "fr"}
    response = verifier.post(f"/controls/{control.id}/verifications/new?lang=fr", data=data)
    text = text_of(response)
    assert "Une vérification a échoué : dites ce qui a été fait sur-le-champ" in text
    assert "Rien n’a été enregistré." in text and "A check failed" not in text
    assert db.session.scalar(sa.select(sa.func.count(Verification.id))) == 0


def test_a_failed_verification_flashes_in_french_and_audits_in_english(setup, users):
    verifier, control, checks = setup["verifier"], setup["control"], setup["checks"]
    verifier.get("/controls/critical?lang=fr")
    data = {
        f"answer-{checks[0]}": "pass",
        f"answer-{checks[1]}": "fail",
        "immediate_action": "The two guards were stood down",
        "effectiveness": "partially_effective",
    }
    response = verifier.post(f"/controls/{control.id}/verifications/new", data=data, follow_redirects=True)
    text = text_of(response)
    assert f"Vérification de {control.ref} enregistrée : en échec." in text
    db.session.rollback()
    changes = db.session.scalar(
        sa.select(AuditEvent.changes).where(AuditEvent.action == "field_verification")
    )
    assert changes["verification"][1].startswith("Failed on ")  # stored in English


def test_the_bowtie_page_in_french_and_its_svg_in_portuguese(setup, clients):
    risk = setup["risk"]
    bowtie = page(clients["risk_manager"], f"/risks/{risk.id}/bowtie", "fr")
    assert (
        "Nœud papillon" in bowtie
        and "Lignes du nœud papillon" in bowtie
        and "Où se place chaque contrôle" in bowtie
    )
    assert "Contrôles préventifs" in bowtie and "Efficacité pour ce risque" in bowtie
    absent(
        bowtie,
        "Bowtie of",
        "Lines of the bowtie",
        "Edit the bowtie",
        "Where each control sits",
        "Preventive controls",
        "Mitigating controls",
        "Download SVG",
        "critical control (thick border)",
        "Dashed: a line",
        "causes on the left",
    )
    svg = clients["risk_manager"].get(f"/risks/{risk.id}/bowtie.svg?lang=pt").get_data(as_text=True)
    assert "Medidas preventivas" in svg and "Gravata-borboleta de" in svg and "medida crítica" in svg
    absent(svg, "Preventive controls", "Bowtie of", "last verification failed", "Role not set")


def test_a_bowtie_rule_error_is_flashed_in_spanish(setup, clients):
    risk = setup["risk"]
    client = clients["risk_manager"]
    client.get("/me/settings?lang=es")
    response = client.post(f"/risks/{risk.id}/causes", data={"text": "   "}, follow_redirects=True)
    text = text_of(response)
    assert "Escriba la causa en pocas palabras. No se guardó nada." in text
    assert "Write the cause" not in text


@pytest.fixture
def acceptance_case(make_user, make_risk):
    manager = make_user(Role.RISK_MANAGER, name="Nina New")
    executive = make_user(Role.EXECUTIVE, name="Edgar Exec")
    risk = make_risk(**EXTREME, owner_id=manager.id, title="Tailings seepage to the river")
    return {"manager": manager, "executive": executive, "risk": risk}


def test_the_acceptance_request_page_and_its_rule_error_in_french(acceptance_case, login, users):
    risk, manager = acceptance_case["risk"], acceptance_case["manager"]
    client = login(manager)
    form = page(client, f"/risks/{risk.id}/acceptance", "fr")
    assert "Demander l’acceptation" in form and "est accepté par un membre de la direction" in form
    absent(form, "Request acceptance", "is accepted by", "Expires on", "Approver", "Cancel")
    data = {
        "justification": JUSTIFICATION,
        "expires_on": (today() + timedelta(days=40)).isoformat(),
        "approver_id": str(users["admin"].id),
    }
    text = text_of(client.post(f"/risks/{risk.id}/acceptance", data=data))
    assert "Ada Admin ne peut pas l’approuver : un risque de niveau" in text
    assert "cannot approve it" not in text
    assert db.session.scalar(sa.select(sa.func.count(Acceptance.id))) == 0


def test_the_risk_panel_in_portuguese_and_the_register_in_french(acceptance_case, login):
    risk, manager, executive = (
        acceptance_case["risk"],
        acceptance_case["manager"],
        acceptance_case["executive"],
    )
    request(risk, manager, executive, days=40)
    client = login(manager)
    panel = section(client, f"/risks/{risk.id}", "pt", "acceptance")
    assert "Aceitação pendente" in panel and "Pedida por Nina New" in panel
    absent(panel, "Acceptance pending", "Requested by", "to be approved by", "Approver")
    register = page(client, "/acceptances", "fr")
    assert "Acceptations de risques" in register and "En attente : 1" in register
    absent(
        register, "Risk acceptances", "Pending:", "Residual at request", "Requested by", "Filter", "Anyone"
    )


def test_a_decision_error_and_a_voided_reason_in_french(acceptance_case, login):
    risk, manager, executive = (
        acceptance_case["risk"],
        acceptance_case["manager"],
        acceptance_case["executive"],
    )
    acceptance = request(risk, manager, executive, days=40)
    client = login(executive)
    client.get("/me?lang=fr")
    response = client.post(f"/acceptances/{acceptance.id}/decide", data={"decision": "reject"})
    text = text_of(client.get(response.headers["Location"]))
    assert "Dites dans une note pourquoi l’acceptation est refusée." in text
    acceptance_services.void_on_increase({risk.id: 25}, manager)
    db.session.commit()
    db.session.refresh(acceptance)
    assert acceptance.end_reason.startswith("The residual score rose from")  # stored in English
    text = section(client, f"/risks/{risk.id}", "fr", "acceptance")
    assert "Le score résiduel est passé de" in text and "rose from" not in text


def test_the_appetite_pages_in_french(clients):
    index = page(clients["admin"], "/appetite", "fr")
    assert "Appétence pour le risque par catégorie" in index and "Au-delà de l’appétence" in index
    absent(index, "Risk appetite per category", "Not stated", "Above appetite", "Changes")
    edit = page(clients["admin"], "/appetite/edit", "fr")
    assert "Modifier l’appétence pour le risque" in edit
    absent(edit, "Edit risk appetite", "Appetite (at most)", "Cancel")


def test_the_failure_mail_renders_in_the_language_forced(setup, app, users):
    control = setup["control"]
    verification = Verification(
        control_id=control.id,
        performed_on=today(),
        result=Result.FAILED,
        immediate_action="Stood down",
        effectiveness=Effectiveness.INEFFECTIVE,
    )
    with app.test_request_context(), force_locale("fr"):
        body = render_template(
            "critical/email/verification_failed.txt",
            user=users["risk_manager"],
            base_url="http://riskreg.test",
            control=control,
            verification=verification,
            risks=[setup["risk"]],
            failed=[],
        )
        subject = str(
            services._l(
                "Critical control %(control)s failed its verification: %(risks)s flagged for review",
                control=control.ref,
                risks=setup["risk"].ref,
            )
        )
    assert "Bonjour" in body and "a échoué à sa vérification" in body and "Immediate action" not in body
    assert subject.startswith(f"Le contrôle critique {control.ref} a échoué")


def test_the_bowtie_and_acceptances_sheets_speak_the_export_language(app):
    from riskreg.acceptances import export as acceptance_sheet
    from riskreg.bowtie import export as bowtie_sheet

    with app.test_request_context():
        english = [h.text for h in bowtie_sheet.headers()]
        with force_locale("es"):
            spanish = [h.text for h in bowtie_sheet.headers()]
            sides = bowtie_sheet.sides()
            decided = [h.text for h in acceptance_sheet.headers()]
    assert english[:3] == ["Risk", "Risk title", "Side"]
    assert spanish[:3] == ["Riesgo", "Título del riesgo", "Lado"] and all(type(t) is str for t in spanish)
    assert sides[0] == "Causa" and sides[4] == "Rol sin definir"
    assert "Decidida por" in decided and "Decided by" not in decided


def test_a_stored_failure_reason_is_shown_in_the_readers_language(setup, app):
    control = setup["control"]
    verification = Verification(performed_on=today(), immediate_action="Guards stood down")
    stored = services.failure_reason(
        control, verification, services.active_checks(services.standard_of(control))
    )
    assert stored.startswith(f"Critical control {control.ref}")  # what the flag keeps
    with app.test_request_context(), force_locale("pt"):
        shown = services.explain_failure(stored)
        assert services.explain_failure("Raised by hand") == "Raised by hand"
    assert shown.startswith(f"A medida crítica {control.ref} {control.title} falhou a verificação")
    assert shown.endswith("Ação imediata: Guards stood down")
