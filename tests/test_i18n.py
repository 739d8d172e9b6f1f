"""The language of a page: `?lang=` for the session, else the user's setting, else Accept-Language,
else RISKREG_DEFAULT_LOCALE; unsupported values are passed over without an error; <html lang>."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from riskreg import create_app
from riskreg.audit import AuditEvent
from riskreg.extensions import db
from tests.conftest import make_config

HTML_LANG = re.compile(r'<html lang="([a-z]+)">')


def lang_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return HTML_LANG.search(response.get_data(as_text=True)).group(1)


def settings_title(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True)).group(1)


def test_the_default_is_english_with_the_html_lang_declared(clients):
    response = clients["risk_manager"].get("/me/settings")
    assert lang_of(response) == "en" and settings_title(response) == "My settings"


def test_lang_parameter_sets_the_language_for_the_rest_of_the_session(clients):
    client = clients["risk_manager"]
    assert settings_title(client.get("/me/settings?lang=fr")) == "Mes paramètres"
    response = client.get("/me/settings")  # no parameter: the session remembers it
    assert lang_of(response) == "fr" and settings_title(response) == "Mes paramètres"
    assert lang_of(client.get("/risks?lang=es")) == "es"
    assert settings_title(client.get("/me/settings")) == "Mi configuración"


@pytest.mark.parametrize("value", ["xx", "de", "", "fr-FR'><script>", "EN"])
def test_an_unsupported_lang_parameter_falls_back_without_an_error(clients, value):
    response = clients["risk_manager"].get("/me/settings", query_string={"lang": value})
    assert lang_of(response) == "en" and "<script>" not in response.get_data(as_text=True)[:200]


def test_accept_language_is_honoured_with_its_weights(clients):
    client = clients["risk_manager"]
    headers = {"Accept-Language": "de-DE,de;q=0.9,pt-BR;q=0.8,es;q=0.5"}
    assert lang_of(client.get("/me/settings", headers=headers)) == "pt"
    assert lang_of(client.get("/me/settings", headers={"Accept-Language": "zh-CN"})) == "en"


def test_the_users_setting_beats_the_browser_and_lang_beats_the_setting(clients, users):
    client = clients["risk_manager"]
    response = client.post("/me/settings/language", data={"locale": "es"})
    assert response.status_code == 302
    spanish = client.get("/me/settings", headers={"Accept-Language": "fr"})
    assert lang_of(spanish) == "es" and "Idioma guardado." in spanish.get_data(as_text=True)
    assert lang_of(client.get("/me/settings?lang=pt", headers={"Accept-Language": "fr"})) == "pt"
    # Saving the setting again clears the session's ?lang= choice: the saved language shows.
    client.post("/me/settings/language", data={"locale": "fr"})
    assert lang_of(client.get("/me/settings")) == "fr"


def test_choosing_a_language_is_audited_with_old_and_new_values(clients, users):
    client = clients["risk_manager"]
    client.post("/me/settings/language", data={"locale": "pt"})
    client.post("/me/settings/language", data={"locale": ""})  # back to the browser's language
    db.session.refresh(users["risk_manager"])
    assert users["risk_manager"].locale is None
    changes = db.session.scalars(
        sa.select(AuditEvent.changes).where(AuditEvent.action == "language").order_by(AuditEvent.id)
    ).all()
    assert changes == [{"locale": [None, "pt"]}, {"locale": ["pt", None]}]


def test_an_unknown_language_in_the_settings_form_is_refused_and_nothing_is_written(clients, users):
    response = clients["risk_manager"].post("/me/settings/language", data={"locale": "klingon"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.refresh(users["risk_manager"])
    assert users["risk_manager"].locale is None
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "language")) == 0


def config_from_environment(tmp_path) -> dict:
    config = make_config(sqlite_path=tmp_path / "riskreg.sqlite")
    del config["DEFAULT_LOCALE"]  # an explicit mapping beats the environment: leave it to the variable
    return config


def test_the_company_default_applies_without_any_other_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKREG_DEFAULT_LOCALE", "es")
    app = create_app(config_from_environment(tmp_path))
    assert app.config["DEFAULT_LOCALE"] == "es"
    with app.test_request_context("/"):
        from riskreg.i18n import current_language

        assert current_language() == "es"


def test_an_unsupported_company_default_stops_the_start_naming_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKREG_DEFAULT_LOCALE", "de")
    with pytest.raises(ValueError, match="RISKREG_DEFAULT_LOCALE must be one of en, fr, es, pt"):
        create_app(config_from_environment(tmp_path))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Aller au contenu", "Mon travail", "Tableau de bord", "Registre", "Se déconnecter"]),
        ("es", ["Saltar al contenido", "Mi trabajo", "Panel", "Registro", "Cerrar sesión"]),
        ("pt", ["Ir para o conteúdo", "Meu trabalho", "Painel", "Riscos", "Sair"]),
    ],
)
def test_the_header_and_footer_of_every_page_speak_the_language(clients, lang, words):
    page = clients["risk_manager"].get(f"/risks?lang={lang}").get_data(as_text=True)
    header = page[page.index("<body>") : page.index('<main id="main">')]
    assert all(word in header for word in words), header
    assert ">Sign out<" not in header and ">My work<" not in header
    footer = page[page.index('<footer class="foot">') :]
    assert "ASM risk register" not in footer


def test_the_sign_in_page_and_its_errors_speak_the_language(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert "Se connecter à riskreg" in page and "Mot de passe" in page and "Password" not in page
    refused = client.post("/login?lang=es", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Contraseña" in refused and "This field is required" not in refused  # WTForms' own messages too
    missing = client.get("/nothing-here?lang=pt")
    text = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Não encontrado" in text and "Erro 404" in text


def test_my_work_speaks_the_language_with_plurals(clients, users):
    from datetime import timedelta

    from riskreg.modeling import today
    from tests.controls_support import legacy, new_control

    late = new_control(users["risk_manager"], "Security", title="Fence the pit")
    legacy(late, due_date=today() - timedelta(days=3))
    soon = today() + timedelta(days=1)
    new_control(users["risk_manager"], "Security", title="Train the guards", due_date=soon)
    page = clients["department_head"].get("/me?lang=fr").get_data(as_text=True)
    assert "Contrôles ouverts de Security" in page and "3 jours de retard" in page
    assert "échéance dans 1 jour<" in page or "échéance dans 1 jour " in page
    assert "days overdue" not in page and "Open controls of" not in page


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", ["2026-12-02", "2026-12-02 13:05 UTC", "12,500", "3.25", "Extreme", "Environment"]),
        ("fr", ["2 déc. 2026", "2 déc. 2026, 13:05 UTC", "12\u202f500", "3,25", "Extrême", "Environnement"]),
        ("pt", ["2 de dez. de 2026", "2 de dez. de 2026 13:05 UTC", "12.500", "3,25"]),
    ],
)
def test_dates_numbers_and_reference_texts_follow_the_language(app, lang, shown):
    from datetime import date, datetime

    template = (
        "{{ d|day }}|{{ t|moment }}|{{ 12500|number }}|{{ 3.25|number }}"
        "|{{ 'Extreme'|ref }}|{{ 'Environment'|ref }}"
    )
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        rendered = app.jinja_env.from_string(template).render(
            d=date(2026, 12, 2), t=datetime(2026, 12, 2, 13, 5, 7)
        )
    assert rendered.split("|")[: len(shown)] == shown


def test_a_reference_text_the_company_edited_is_shown_as_stored(app):
    with app.test_request_context("/?lang=es"):
        app.preprocess_request()
        assert app.jinja_env.from_string("{{ 'Extreme'|ref }}").render() != "Extreme"
        assert app.jinja_env.from_string("{{ 'Extreme for us'|ref }}").render() == "Extreme for us"


def test_a_lazy_message_is_escaped_with_the_words_in_its_placeholders(app):
    from flask_babel import lazy_gettext

    message = lazy_gettext("Saved %(title)s.", title='<script>alert("x")</script>')
    with app.test_request_context("/?lang=fr"):
        rendered = app.jinja_env.from_string("{{ m }}|{{ [m]|join(', ') }}").render(m=message)
    assert "<script>" not in rendered
    assert rendered.count("&lt;script&gt;") == 2


def test_one_request_switches_language_and_back_with_its_kept_catalogue(app):
    """The catalogue and a lazy message's text are kept per context and language (riskreg.i18n):
    a mail in another language mid-request, then the page's own language again."""
    from flask_babel import force_locale, gettext, lazy_gettext

    heading = lazy_gettext("My settings")
    template = app.jinja_env.from_string("{{ _('My settings') }}|{{ m }}")
    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        assert template.render(m=heading) == "Mes paramètres|Mes paramètres"
        with force_locale("es"):
            assert gettext("My settings") == str(heading) == "Mi configuración"
            assert template.render(m=heading) == "Mi configuración|Mi configuración"
        assert gettext("My settings") == str(heading) == "Mes paramètres"
    with app.app_context(), app.test_request_context("/?lang=pt"):  # a new request's own context
        app.preprocess_request()
        assert template.render(m=heading) == "Minhas preferências|Minhas preferências"
    with app.app_context():  # a context of its own outside a request: the company default
        assert str(heading) == "My settings"


def test_wtforms_own_messages_follow_the_language_even_within_one_request(app):
    """Flask-WTF kept the request's first language for WTForms' messages; riskreg's Form asks
    riskreg.i18n, so a form checked under force_locale speaks that language."""
    from flask_babel import force_locale
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from riskreg.forms import Form

    class NameForm(Form):
        name = StringField("Name", validators=[DataRequired()])

    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context("/?lang=fr", method="POST", data={"name": ""}):
        app.preprocess_request()
        french = NameForm()
        assert not french.validate() and french.name.errors == ["Ce champ est requis."]
        with force_locale("es"):
            spanish = NameForm()
            assert not spanish.validate() and spanish.name.errors == ["Este campo es obligatorio."]


def test_a_template_message_is_a_format_string_with_or_without_variables(app):
    """The templates' _() keep Jinja's newstyle rule: '%%' shows one '%' even with nothing to fill
    in, a message without '%' is shown as written, and filled-in values are escaped."""
    with app.test_request_context("/"):
        env = app.jinja_env
        html = env.from_string("{{ _('Fully 100%% covered') }}|{{ _('Plain <b>words</b>') }}")
        assert html.render() == "Fully 100% covered|Plain <b>words</b>"
        filled = env.from_string("{{ _('Select %(ref)s', ref=ref) }}").render(ref="<R-1>")
        assert filled == "Select &lt;R-1&gt;"
        plain = env.overlay(autoescape=False).from_string("{{ _('Fully 100%% covered') }}")
        assert plain.render() == "Fully 100% covered"
