"""The controls, departments and reviews pages in French, Spanish and Portuguese: the tracker, a
control's page, My controls, the departments, a risk's controls and reviews, with data, in their
empty and error states; the rule errors and flashes in the reader's language; the e-mails in the
recipient's; what is stored stays English."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from riskreg.audit import AuditEvent
from riskreg.controls import reminders, services
from riskreg.controls.models import ControlNote, ControlStatus
from riskreg.extensions import db
from riskreg.reviews import reminders as review_reminders
from tests.conftest import text_of
from tests.controls_support import PDF, fresh, new_control, store_evidence

TODAY = date.today()


def page(response) -> str:
    """The page's <main> with tags removed, plus the texts of its attributes people read."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    body = re.search(r'<main id="main">(.*)</main>', html, re.S).group(1)
    attributes = re.findall(r'(?:title|placeholder|aria-label|data-label|alt)="([^"]*)"', body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) + " | " + " | ".join(attributes)


def absent(text: str, *phrases: str) -> None:
    left = [phrase for phrase in phrases if phrase in text]
    assert not left, f"English left: {left}"


@pytest.fixture
def work(users, make_risk):
    rm = users["risk_manager"]
    risk = make_risk(title="Encroachment north")
    late = new_control(rm, "Security", [risk], title="Fence", due_date=TODAY - timedelta(days=5))
    with_file = new_control(rm, "Security", [risk], title="Patrols")
    store_evidence(with_file, rm)
    services.add_progress_note(with_file, "Half the fence is up.", rm)
    db.session.commit()
    done = new_control(rm, "Security", [risk], title="Signage", status=ControlStatus.IMPLEMENTED)
    return {"risk": risk, "late": late, "with_file": with_file, "done": done}


def test_the_tracker_in_french_with_its_counts_filters_and_empty_state(clients, work):
    text = page(clients["risk_manager"].get("/controls?lang=fr"))
    for french in (
        "Contrôles de tous les départements",
        "Contrôles par département et statut",
        "Ouverts, sans responsable",
        "Tous les départements",
        "Titre ou réf.",
        "Personne (aucun responsable actif)",
        "3 contrôles",
        "5 jours de retard",
        "Modifier les contrôles sélectionnés",
        "— inchangé —",
    ):
        assert french in text, french
    absent(
        text,
        "Controls across departments",
        "Open, no owner",
        "All departments",
        "Title or ref",
        "Nobody (no active owner)",
        "days overdue",
        "Change the selected controls",
        "Apply to the selected controls",
        "Tick the controls above",
        "Select every control",
    )
    empty = page(clients["risk_manager"].get("/controls?q=nothing-like-this"))
    assert "Aucun contrôle ne correspond à ces filtres." in empty and "Effacer les filtres" in empty
    absent(empty, "No controls match these filters", "Clear the filters")


def test_a_controls_page_in_french_with_evidence_notes_and_the_forms(clients, work):
    manager = page(clients["risk_manager"].get(f"/controls/{work['with_file'].id}?lang=fr"))
    for french in (
        "Aperçu",
        "Attribution",
        "Y travailler",
        "Clôturer comme mis en œuvre",
        "Note d’avancement",
        "Risques qu’il atténue",
        "Fichier",
        "Ko",
        "par Rhea Risk",
        "20 Mo au plus chacun",
        "Annuler le contrôle",
    ):
        assert french in manager, french
    absent(
        manager,
        "Overview",
        "Assignment",
        "Work on it",
        "Close as implemented",
        "Progress note",
        "Risks it mitigates",
        "Add the note",
        "Cancel the control",
        "Verification comes after",
        "at most 20 MB",
    )
    implemented = page(clients["risk_manager"].get(f"/controls/{work['done'].id}"))
    assert "Marquer comme vérifié" in implemented and "Évaluez-le" in implemented
    absent(implemented, "Mark verified", "Rate it", "Why reopen it?", "More evidence", "No evidence files")


def test_my_controls_in_french_for_a_department_head(clients, work):
    text = page(clients["department_head"].get("/controls/mine?lang=fr"))
    for french in (
        "Security : contrôles ouverts",
        "Échéance dans les 14 jours",
        "Ajouter une note d’avancement",
        "Note de clôture (obligatoire)",
        "Mis en œuvre, en attente de vérification",
        "Responsable : Sam Security",
    ):
        assert french in text, french
    absent(
        text,
        "open controls",
        "Due within",
        "Add a progress note",
        "Closing note",
        "Implemented, awaiting verification",
        "Owner:",
        "mitigates",
    )
    nobody = page(clients["risk_manager"].get("/controls/mine?lang=fr"))
    assert "Vous n’êtes rattaché à aucun département" in nobody
    absent(nobody, "You are not assigned", "controls tracker")


def test_the_departments_pages_in_french(clients, work):
    text = page(clients["admin"].get("/departments?lang=fr"))
    assert "Chefs actifs" in text and "Aucun chef actif" in text and "Nouveau département" in text
    absent(text, "Active heads", "No active head", "New department", "Open controls", "A department without")
    form = page(clients["admin"].get("/departments/new"))
    assert "Nom" in form and "Actif" in form and "Enregistrer" in form
    clash = clients["admin"].post("/departments/new", data={"name": "security", "active": "y"})
    assert "Un département nommé &#39;security&#39; existe déjà." in clash.get_data(as_text=True)


def test_a_risks_controls_and_reviews_in_french(clients, work):
    text = page(clients["risk_manager"].get(f"/risks/{work['risk'].id}?lang=fr"))
    for french in (
        "Ajouter un nouveau contrôle",
        "Lier un contrôle existant",
        "Ces contrôles dans le suivi",
        "Délier",
        "Prochaine revue :",
        "Revu, sans changement",
        "Pas encore revu.",
    ):
        assert french in text, french
    absent(
        text,
        "Add a new control",
        "Link an existing control",
        "These controls in the tracker",
        "Unlink",
        "Next review:",
        "Reviewed, no change",
        "Not reviewed yet",
        "band's cadence",
        "Left empty",
    )
    unlink = page(clients["risk_manager"].get(f"/risks/{work['risk'].id}/controls/{work['late'].id}/unlink"))
    assert "Délier C-" in unlink and "Le garder lié" in unlink
    absent(unlink, "will no longer mitigate", "Keep it linked", "is kept with its notes")


def test_spanish_tracker_and_portuguese_my_controls(clients, work):
    spanish = page(clients["risk_manager"].get("/controls?lang=es"))
    assert "Controles de todas las áreas" in spanish and "Abiertos, sin responsable" in spanish
    absent(spanish, "Controls across departments", "Open, no owner")
    portuguese = page(clients["department_head"].get("/controls/mine?lang=pt"))
    assert "Security: medidas em aberto" in portuguese and "Encerrar como implementada" in portuguese
    absent(portuguese, "open controls", "Close as implemented", "Progress note")


def test_rule_errors_and_flashes_in_french(clients, work):
    head = clients["department_head"]
    late = work["late"]
    closing = head.post(
        f"/controls/{late.id}/close?lang=fr",
        data={"version": late.version, "closing_note": "", "evidence": [(io.BytesIO(b"MZ"), "tool.exe")]},
        content_type="multipart/form-data",
    )
    text = text_of(closing)
    assert "Rédigez une note de clôture" in text and "ce type de fichier n’est pas accepté" in text
    absent(text, "Write a closing note", "this type of file is not accepted")
    done = head.post(
        f"/controls/{late.id}/close",
        data={"version": late.version, "closing_note": "Fence up", "evidence": [(io.BytesIO(PDF), "p.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "clôturé comme mis en œuvre avec 1 fichier de preuve" in text_of(done)
    # A rule the service raises (ControlRuleError), shown on the risk's page in French.
    again = clients["risk_manager"].post(
        f"/risks/{work['risk'].id}/controls/link?lang=fr",
        data={"control_ref": late.ref},
        follow_redirects=True,
    )
    assert f"{late.ref} atténue déjà {work['risk'].ref}." in text_of(again)
    assert "already mitigates" not in text_of(again)


def test_a_service_rule_error_is_translated_where_it_is_shown(app, work, users):
    control = fresh(work["done"].id)
    with pytest.raises(services.ControlRuleError) as raised:
        services.start_control(control, users["risk_manager"], control.version)
    db.session.rollback()
    with app.test_request_context():
        assert str(raised.value).startswith(f"{control.ref} is ")
        assert str(raised.value).endswith(": it cannot be started.")
        with force_locale("es"):
            assert str(raised.value).endswith(": no se puede iniciar.")


def test_what_is_stored_stays_english_whatever_the_language(clients, work):
    done = work["done"]
    clients["risk_manager"].post(
        f"/controls/{done.id}/verify?lang=fr", data={"version": done.version, "effectiveness": "effective"}
    )
    notes = db.session.scalars(sa.select(ControlNote.body).where(ControlNote.control_id == done.id)).all()
    assert "Verified: effective." in notes
    clients["risk_manager"].post(f"/risks/{work['risk'].id}/review?lang=fr", data={"note": "Rien ne change"})
    words = db.session.scalars(
        sa.select(AuditEvent.note).where(AuditEvent.entity == "risk", AuditEvent.action == "review")
    ).all()
    assert words == ["Reviewed, no change: Rien ne change."]


def test_the_digest_is_in_its_recipients_language(app, users, work):
    head = users["department_head"]
    head.locale = "fr"
    db.session.commit()
    (digest,) = reminders.build_digests(TODAY, 14)
    message = reminders.message(digest)
    assert message["Subject"] == "riskreg : Security : 1 en retard, 0 à échéance dans les 14 jours"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Sam Security," in plain and "EN RETARD (1)" in plain and "5 jours de retard" in plain
    assert "Tous les contrôles ouverts de Security" in html and '<html lang="fr">' in html
    absent(plain + html, "Hello", "OVERDUE", "days overdue", "All open controls")
    head.locale = None
    db.session.commit()
    english = reminders.message(reminders.build_digests(TODAY, 14)[0])
    assert english["Subject"] == "riskreg: Security: 1 overdue, 0 due within 14 days"


def test_mail_subjects_are_lazy_and_follow_the_forced_language(app, users, make_risk):
    reminder = review_reminders.OwnerReminder(users["risk_manager"], today=[make_risk()], soon=[])
    subject = review_reminders.subject(reminder)
    assert str(subject) == "riskreg: risks you own: 1 due for review today"
    with force_locale("pt"):
        assert str(subject) == "riskreg: os seus riscos: 1 a rever hoje"
