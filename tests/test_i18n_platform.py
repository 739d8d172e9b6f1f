"""The platform's pages (my settings, tokens, two-factor, sign-in, jobs, webhooks, users, error
pages), its service errors and the API's problems in the reader's language; mails in the
recipient's language, whoever caused them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, DictLoader

from riskreg import mail
from riskreg.api import tokens as token_services
from riskreg.auth import services as auth_services
from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.jobs.models import Job, JobKind, JobState
from riskreg.jobs.texts import shown
from riskreg.modeling import utcnow
from riskreg.webhooks import services as webhook_services
from tests.conftest import text_of


def visible(response) -> str:
    """The page's text as read (tags gone), with its attributes' words (title, aria-label, data-label)."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    attributes = " ".join(re.findall(r'(?:title|aria-label|data-label|placeholder)="([^"]*)"', html))
    return text_of(response) + " " + attributes


def absent(text: str, *english: str) -> None:
    found = [phrase for phrase in english if phrase in text]
    assert not found, found


@pytest.fixture
def jobs(app, users):
    admin = users["admin"]
    now = utcnow()
    done = Job(
        kind=JobKind.EXPORT,
        user_id=admin.id,
        state=JobState.DONE,
        total=200,
        done=200,
        message="12 risks and 3 controls written.",
        created_at=now,
        finished_at=now,
        expires_at=now + timedelta(hours=24),
    )
    failed = Job(
        kind=JobKind.IMPORT,
        user_id=admin.id,
        state=JobState.FAILED,
        message="The user who asked for this job is no longer allowed to run it.",
        created_at=now,
        finished_at=now,
        expires_at=now + timedelta(hours=24),
    )
    db.session.add_all([done, failed])
    db.session.commit()
    return {"done": done.id, "failed": failed.id}


def test_my_settings_tokens_and_two_factor_pages_in_french(clients, users):
    client = clients["risk_manager"]
    token_services.create_token(users["risk_manager"], "Power BI", True, 30, actor=users["risk_manager"])
    db.session.commit()
    settings = visible(client.get("/me/settings?lang=fr"))
    assert "Mot de passe" in settings and "Connexion à deux facteurs" in settings
    assert "Notifications par e-mail" in settings and "Jetons d’API" in settings
    assert "Un contrôle m’est attribué, ou à mon département" in settings  # a notice's switch
    absent(
        settings,
        "Change password",
        "Two-factor sign-in",
        "E-mail notices",
        "Send me an e-mail when",
        "API tokens",
        "Save notices",
        "Current password",
        "A control is assigned to me",
    )
    tokens = visible(client.get("/me/tokens"))
    assert "Mes jetons d’API" in tokens and "Lecture seule" in tokens and "Révoquer" in tokens
    assert "lecture seule" in tokens and "actif" in tokens and "jamais" in tokens
    absent(
        tokens,
        "My API tokens",
        "Create a token",
        "Last used",
        "Revoke",
        "Read only",
        "read-only",
        "never",
        "At most 365 days.",
        "Expires after (days)",
    )
    two_factor = visible(client.get("/me/settings/two-factor"))
    assert "Connexion à deux facteurs" in two_factor and "Activer la connexion à deux facteurs" in two_factor
    absent(
        two_factor,
        "Scan this code",
        "Or type the key by hand",
        "Enter the 6-digit code",
        "Turn on two-factor sign-in",
        "My settings",
    )


def test_a_settings_error_from_the_service_is_said_in_french(clients):
    client = clients["risk_manager"]
    client.get("/me/settings?lang=fr")
    form = {
        "current_password": "not it at all",
        "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase",
    }
    page = text_of(client.post("/me/settings/password", data=form))
    assert "Le mot de passe actuel n’est pas correct." in page
    assert "The current password is not right." not in page
    form["current_password"] = "correct horse battery staple"
    form["new_password"] = form["confirm_password"] = "short"
    page = text_of(client.post("/me/settings/password", data=form))
    assert "Le mot de passe doit faire au moins 12 caractères." in page
    assert "The password must be at least" not in page


def test_a_user_error_raised_by_the_service_is_translated_where_it_is_shown(app):
    with pytest.raises(auth_services.UserError) as raised:
        auth_services.check_password_policy("short")
    with app.test_request_context("/?lang=pt"):
        app.preprocess_request()
        assert str(raised.value) == "A senha deve ter pelo menos 12 caracteres."
        with force_locale("en"):  # the same error, shown elsewhere in English
            assert str(raised.value) == "The password must be at least 12 characters long."


def test_sign_in_and_its_errors_in_spanish(app):
    client = app.test_client()
    page = visible(client.get("/login?lang=es"))
    assert "Iniciar sesión" in page and "Contraseña" in page
    refused = text_of(client.post("/login", data={"email": "nobody@example.com", "password": "wrong one"}))
    assert "Correo electrónico o contraseña incorrectos." in refused
    assert "Invalid email or password." not in refused


def test_jobs_pages_and_their_stored_messages_in_french(clients, jobs):
    client = clients["admin"]
    listing = visible(client.get("/jobs?lang=fr"))
    assert "Mes tâches" in listing and "Export du registre" in listing and "Import du registre" in listing
    assert "12 risques et 3 contrôles écrits." in listing
    assert "L’utilisateur qui a demandé cette tâche n’a plus le droit de la lancer." in listing
    assert "Lancer maintenant une tâche planifiée" in listing
    absent(
        listing,
        "Register export",
        "risks and",
        "Large exports and imports",
        "Run now",
        "Asked",
        "Rows",
        "Daily reminders",
        "no longer allowed",
    )
    detail = visible(client.get(f"/jobs/{jobs['done']}"))
    assert "200 sur 200 (100 %)" in detail and "Demandée" in detail and "Terminée" in detail
    absent(detail, "Asked", "Started", "Finished", " of 200", "rows", "My jobs<")
    status = client.get(f"/jobs/{jobs['failed']}/status").get_json()
    assert status["state"] == "failed" and status["message"].startswith("L’utilisateur")
    db.session.expire_all()
    assert db.session.get(Job, jobs["done"]).message == "12 risks and 3 controls written."  # stored English


def test_a_stored_job_message_nobody_wrote_a_translation_for_is_shown_as_stored(app):
    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        assert shown("ZeroDivisionError: division by zero") == "ZeroDivisionError: division by zero"
        assert shown("Sent 3, failed 0, still queued 1.") == "3 envoyés, 0 en échec, 1 encore en attente."


def test_webhooks_and_users_pages_in_portuguese(clients, users):
    webhook_services.set_allow_private(True, users["admin"])
    endpoint = webhook_services.create_endpoint(
        "http://127.0.0.1:9/hook", ["risk.created"], "", users["admin"]
    )
    db.session.commit()
    client = clients["admin"]
    hooks = visible(client.get("/webhooks?lang=pt"))
    assert "Acrescentar um destino" in hooks and "Um risco é criado" in hooks and "ativo" in hooks
    absent(hooks, "Add an endpoint", "Endpoints", "A risk is created", "Save settings", "Allow endpoints")
    detail = visible(client.get(f"/webhooks/{endpoint.id}"))
    assert "Segredo de assinatura" in detail and "Enviar um evento de teste" in detail
    absent(detail, "Signing secret", "Send test event", "Delivery log", "Nothing sent yet.")
    people = visible(client.get("/users"))
    assert "Nova conta" in people and "Última entrada" in people and "Ativo" in people
    absent(people, "New user", "Last sign-in", "Signs in with", "Failed sign-ins", "Turn off", "Edit<")
    form = visible(client.get(f"/users/{users['executive'].id}/edit"))
    assert "Deixe vazio para manter a senha atual." in form and "Papel" in form
    absent(form, "Leave empty", "Confirm password", "Required for department heads.")


def test_an_error_page_and_an_api_problem_in_french(clients, users):
    client = clients["executive"]
    missing = client.get("/jobs/999999?lang=fr")
    assert missing.status_code == 404
    assert "Cette tâche n’existe pas." in text_of(missing) and "There is no such job." not in text_of(missing)
    created = token_services.create_token(users["executive"], "BI", True, 30, actor=users["executive"])
    db.session.commit()
    api = clients["executive"].application.test_client()
    response = api.get(
        "/api/v1/risks/999999",
        headers={"Authorization": f"Bearer {created.secret}", "Accept-Language": "fr-FR,fr;q=0.9"},
    )
    problem = response.get_json()
    assert response.status_code == 404 and problem["detail"] == "Il n’y a pas de risque d’identifiant 999999."
    anonymous = api.get("/api/v1/risks", headers={"Accept-Language": "es"}).get_json()
    assert anonymous["title"] == "Se necesita un token de acceso (bearer) válido"


def test_a_mail_is_written_in_the_recipients_language_whoever_causes_it(app, smtp, make_user):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader({"tests/notice.txt": "{{ _('Your recovery codes') }}: {{ _('Password') }}"}),
            app.jinja_env.loader,
        ]
    )
    french = make_user(Role.EXECUTIVE, name="Fanny Français", locale="fr")
    nobody_said = make_user(Role.EXECUTIVE, name="Ned Default")
    with app.test_request_context("/?lang=es"):  # the person who caused it reads Spanish
        app.preprocess_request()
        for person in (french, nobody_said):
            mail.notify("mentioned", person, _l("Two-factor sign-in"), "tests/notice.txt")
        db.session.commit()
    [to_french] = smtp.to(french.email)
    assert to_french["Subject"] == "Connexion à deux facteurs"
    assert to_french.get_content().strip() == "Vos codes de secours: Mot de passe"
    [to_default] = smtp.to(nobody_said.email)  # no setting: the company default (English here)
    assert to_default["Subject"] == "Two-factor sign-in"
    assert to_default.get_content().strip() == "Your recovery codes: Password"


def test_an_archived_risk_refusal_and_a_form_refusal_are_whole_french_sentences(app):
    from werkzeug.exceptions import BadRequest

    from riskreg.auth.permissions import ARCHIVED
    from riskreg.errors import CSRF_REASONS, DESCRIPTIONS

    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        said = str(ARCHIVED["changing its controls"]) % {"ref": "R-0042"}
        assert said == "R-0042 est archivé : restaurez-le avant de modifier ses contrôles."
        assert str(CSRF_REASONS["The CSRF token has expired."]) == "Le jeton CSRF a expiré."
        assert str(DESCRIPTIONS[400]) != BadRequest.description  # werkzeug's default, said in French


STORED = [
    "Waiting for a worker",
    "Started",
    "Writing the workbook",
    "Writing the register sheet",
    "Saving the workbook",
    "Recomputing every indicator",
    "Sending reminders",
    "Sending queued mail",
    "Sending webhook deliveries",
    "Reading register.xlsx",
    "Saving 12 rows in one transaction (all or none)",
    "Saving 3 observations in one transaction (all or none)",
    "12 risks and 3 controls written.",
    "Indicators recomputed: 2 trigger(s).",
    "control digests: 1; review reminders: 2; grievance reminders: 0; acceptance warnings and expiries: 0; "
    "verification tasks planned: 4.",
    "Sent 1, failed 0, still queued 0.",
    "Delivered 2, failed 1.",
    "Imported register.xlsx: 3 risk(s) created, 1 updated.",
    "Imported kobo.xlsx: 1 observation at 2 sites; 0 imported before were left alone.",
    "Imported kobo.xlsx: 5 observations at 1 site; 2 imported before were left alone.",
    "The user who asked for this job is no longer allowed to run it.",
    "The export's filters are not valid: year must be a number",
    "The job stopped on an unexpected error (KeyError); retry it, and if it fails again, tell an "
    "administrator (the worker's log has the details).",
    "The job queue could not be reached (ConnectionError); nothing ran. Retry later.",
    "The worker running this job (host:12) stopped: no sign of it since its start UTC. Nothing it wrote "
    "is kept; retry the job.",
    "The worker running this job (host:12) stopped: no sign of it since 2026-12-01T10:00:00 UTC. Nothing "
    "it wrote is kept; retry the job.",
    "No worker took this job within 24 hours: is `flask jobs worker` running? Retry it.",
    "That preview has expired or its file is gone: nothing was imported. Upload it again.",
]


@pytest.mark.parametrize("message", STORED)
def test_each_stored_job_message_reads_as_stored_in_english_and_is_translated_in_french(app, message):
    with app.test_request_context("/"):
        assert shown(message) == message
        with force_locale("fr"):
            assert shown(message) != message


def test_the_language_chosen_on_the_sign_in_page_outlives_signing_in_and_out(app, users):
    client = app.test_client()
    client.get("/login?lang=pt")
    client.post(
        "/login", data={"email": users["executive"].email, "password": "correct horse battery staple"}
    )
    assert "Minhas preferências" in text_of(client.get("/me/settings"))
    signed_out = client.post("/logout", follow_redirects=True)
    assert "Saiu da sessão." in text_of(signed_out) and "Entrar" in text_of(signed_out)
