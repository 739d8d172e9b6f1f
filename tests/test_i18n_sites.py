"""Sites, monitoring indicators and field forms in French, Spanish and Portuguese: the pages, their
errors and flashes, the trigger mail in the recipient's language, the Indicators sheet, and the
XLSForm with its labels in every language (pyxform still converts it)."""

from __future__ import annotations

import io
import shutil

import openpyxl
import pytest
from pyxform.xls2xform import convert

from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites import monitoring
from tests.asm_helpers import observe
from tests.conftest import text_of
from tests.fieldform_support import upload
from tests.indicator_support import indicator, load_indicators, open_flags
from tests.xlsx_files import calamine_rows, export

FORM_URL = "/sites/observation-form.xlsx"


@pytest.fixture
def mine(app, make_site):
    load_indicators()
    site = make_site(name="Nyota Gold Mine", latitude=-3.1, longitude=29.4)
    observe(site, days_ago=30, miners=120)
    return site


@pytest.fixture
def flagged(mine, make_risk, users):
    risk = make_risk(
        title="Gold-rush influx", site_id=mine.id, category="Security & Conflict",
        owner_id=users["department_head"].id,
    )  # fmt: skip
    observe(mine, miners=600, mercury_use="observed", children_seen=True)
    assert open_flags(risk)
    return risk


def page(client, url: str, lang: str) -> str:
    response = client.get(url, query_string={"lang": lang})
    assert response.status_code == 200, response.status_code
    return text_of(response)


def absent(text: str, *phrases: str) -> None:
    found = [phrase for phrase in phrases if phrase in text]
    assert not found, found


def test_the_sites_list_in_french(clients, mine):
    text = page(clients["admin"], "/sites", "fr")
    assert "Présence EMAPE" in text and "Dernière observation" in text and "Nouveau site" in text
    assert "Risques ouverts par niveau" in text and "Formulaire d’observation (XLSForm)" in text
    absent(text, "ASM presence", "Last observation", "Open risks by band", "New site", "Miners (latest)")
    absent(text, "unless set by hand", "Observation form", "Import observations")


def test_a_site_page_in_french_with_its_timeline_indicators_and_triggers(clients, mine, flagged):
    text = page(clients["risk_manager"], f"/sites/{mine.id}", "fr")
    assert "Profil de l’EMAPE" in text and "Chronologie de la surveillance et des échanges" in text
    assert "Indicateurs clés de risque" in text and "Enregistrer une observation" in text
    assert "Enfants vus" in text and "600 mineurs" in text
    assert "Mineurs sur la concession est passé de 120 à 600" in text  # the trigger's reason, translated
    assert "rouge à 500 ou plus" in text
    absent(text, "ASM profile", "Monitoring and engagement timeline", "Record an observation")
    absent(text, "rose from", "or more", "Children seen", "Key risk indicators", "Triggers waiting")
    absent(text, "Signals without a risk", "Formalisation support", "Latest observation", "Last observation")


def test_the_indicators_pages_in_french_and_spanish(clients, mine, flagged):
    client = clients["executive"]
    text = page(client, "/indicators", "fr")
    assert "Indicateurs clés de risque" in text and "Tendance (30 jours)" in text
    assert "en hausse (pire)" in text and "Rouge" in text
    absent(text, "Key risk indicators", "Trend (30 days)", "rising (worse)", "Linked risks", "Thresholds")
    kri = indicator(mine, "miners_on_concession")
    text = page(client, f"/indicators/{kri.id}", "es")
    assert "Riesgos vinculados" in text and "Disparos" in text and "Umbrales" in text
    assert "subió de 120 a 600" in text
    # (its History lists the audit notes as stored: the trigger's reason in English there)
    absent(text, "Linked risks", "Triggers waiting", "Thresholds", "The value over the last")


def test_the_risk_page_flags_and_the_register_show_the_reason_translated(clients, mine, flagged):
    text = page(clients["risk_manager"], f"/risks/{flagged.id}", "fr")
    assert "Signalé pour revue par la surveillance." in text
    assert "Mineurs sur la concession est passé de 120 à 600" in text
    absent(text, "Flagged for review", "The flag stays until", "rose from")
    register = page(clients["risk_manager"], "/risks", "pt")
    assert "Mineiros na concessão" in register or "subiu de 120 para 600" in register
    absent(register, "rose from 120")


def test_the_observation_form_in_portuguese_with_its_errors(clients, mine):
    client = clients["risk_manager"]
    text = page(client, f"/sites/{mine.id}/observations/new", "pt")
    assert "Quando e onde" in text and "Registar a observação" in text
    absent(text, "When and where", "Record observation", "Formalisation and legitimacy")
    response = client.post(f"/sites/{mine.id}/observations/new", data={"observed_on": ""})
    text = text_of(response)
    assert "Indique a data." in text and "Escolha a fonte da informação." in text
    absent(text, "Give the date.", "Choose the source of the information.")


def test_a_monitoring_rule_error_is_shown_in_french(clients, mine):
    """The service's rule (monitoring.check_observation) raises its message untranslated; the page
    shows it in the reader's language."""
    client = clients["risk_manager"]
    client.get("/sites?lang=fr")
    values = {"observed_on": today().isoformat(), "location": "distant", "activity_type": "alluvial"}
    values |= {"source": "patrol", "mercury_use": "not_observed", "cyanide_use": "not_observed"}
    text = text_of(client.post(f"/sites/{mine.id}/observations/new", data=values))
    assert "Indiquez la distance en km pour l’EMAPE vue à distance." in text
    absent(text, "Give the distance in km")
    with pytest.raises(monitoring.MonitoringError) as raised:
        monitoring.check_observation({"observed_on": today(), "location": None})
    assert str(raised.value) == "Say where the ASM was observed."  # English outside a request


def test_the_threshold_form_refuses_bad_input_in_french(clients, mine):
    kri = indicator(mine, "miners_on_concession")
    client = clients["admin"]
    client.get(f"/indicators/{kri.id}/edit?lang=fr")
    response = client.post(
        f"/indicators/{kri.id}/edit", data={"amber": "abc", "red": "10", "version": str(kri.version)}
    )
    text = text_of(response)
    assert "Le seuil orange doit être un nombre" in text
    absent(text, "threshold must be a number", "Library defaults", "Back to the indicator")


def test_the_trigger_mail_is_in_the_recipients_language(app, mine, users, smtp):
    users["executive"].locale = "fr"
    kri = indicator(mine, "miners_on_concession")
    kri.owner_id = users["executive"].id
    db.session.commit()
    values = {"observed_on": today(), "location": "on_concession", "miners_estimate": 900}
    monitoring.add_observation(mine, values | {"activity_type": "alluvial", "source": "patrol"}, None)
    db.session.commit()
    mail = smtp.to(users["executive"].email)[0]
    assert "revue nécessaire à Nyota Gold Mine : Mineurs sur la concession est rouge" in mail["Subject"]
    body = mail.get_content()
    assert "Bonjour" in body and "Mineurs sur la concession est passé de 120 à 900" in body
    absent(body, "Hello", "Monitoring moved", "rose from", "Flagged risks")


def test_the_indicators_sheet_in_french(clients, mine, flagged):
    client = clients["executive"]
    client.get("/indicators?lang=fr")
    rows = calamine_rows(export(client), "Indicateurs")
    assert rows[0][:5] == ["Site", "Indicateur", "Valeur", "Unité", "Statut"]
    line = next(row for row in rows[1:] if row[1] == "Mineurs sur la concession")
    assert line[4] != "Red" and "est passé de 120 à 600" in line[11]


def test_a_field_import_problem_in_french(clients, mine):
    client = clients["risk_manager"]
    client.get("/sites/import-observations?lang=fr")
    text = text_of(upload(client, b"site_id,observed_on\n1,2026-01-01\n", "export.csv"))
    assert "Aperçu des données de terrain" in text
    assert "Le fichier n’a pas de colonne d’identifiant de soumission" in text
    absent(text, "The file has no submission id column", "Problems — nothing", "Field data preview")


def test_the_xlsform_carries_every_language_with_the_readers_as_default(clients, mine):
    response = clients["risk_manager"].get(FORM_URL, query_string={"lang": "fr"})
    assert response.status_code == 200
    data = response.get_data()
    book = openpyxl.load_workbook(io.BytesIO(data))
    survey = list(book["survey"].iter_rows(values_only=True))
    header = list(survey[0])
    languages = ["English (en)", "Français (fr)", "Español (es)", "Português (pt)"]
    for column in ("label", "hint", "constraint_message"):
        assert [h for h in header if h.startswith(f"{column}::")] == [
            f"{column}::{lang}" for lang in languages
        ]
    rows = [dict(zip(header, row, strict=True)) for row in survey[1:]]
    where = next(row for row in rows if row["name"] == "location")
    assert where["label::English (en)"] == "Where" and where["label::Français (fr)"] == "Où"
    assert where["label::Español (es)"] == "Dónde" and where["label::Português (pt)"] == "Onde"
    assert where["hint::Français (fr)"].startswith("Laissez vide")
    choices = list(book["choices"].iter_rows(values_only=True))
    assert choices[0] == ("list_name", "name", *(f"label::{lang}" for lang in languages))
    yes = next(row for row in choices if row[:2] == ("yes_no", "yes"))
    assert yes[2:] == ("Yes", "Oui", "Sí", "Sim")
    on_site = next(row for row in choices if row[1] == "on_concession")
    assert on_site[3] == "Sur la concession"  # names and choice values stay codes
    settings = dict(zip(*book["settings"].iter_rows(values_only=True), strict=True))
    assert settings["default_language"] == "Français (fr)"
    assert settings["form_title"] == "Observation de l’EMAPE riskreg"
    assert response.headers["X-Form-Version"] == settings["version"]
    warnings: list[str] = []
    result = convert(
        xlsform=data, warnings=warnings, validate=shutil.which("java") is not None, file_type=".xlsx"
    )
    assert warnings == [] and 'id="riskreg_asm_observation"' in result.xform
    assert "Sur la concession" in result.xform and "Na concessão" in result.xform


def test_a_kobo_export_with_french_labels_imports(app, clients, make_site):
    """Kobo's "labels" export of a form filled in French: headers are the French questions, answers
    the French choices ("Oui", "Sur la concession"); read whatever the importer's language."""
    import sqlalchemy as sa
    from flask_babel import force_locale

    from riskreg.fieldforms import services, xlsform
    from riskreg.sites.models import Site
    from tests.fieldform_files import add_sites, edit_csv, export_files, read_xlsform
    from tests.fieldform_support import import_file

    field_sites = add_sites()
    with force_locale("fr"):
        form = read_xlsform(xlsform.workbook(services.observation_spec()))
    assert form.labels["location"] == "Où"
    data = export_files(form, field_sites, rows=10)["kobo-submissions.csv"]
    labels = {(lst, name): label for lst, pairs in form.choices.items() for name, label in pairs}
    site_names = {str(s.id): s.name for s in db.session.scalars(sa.select(Site))}

    def as_labels(headers: list[str], rows: list[list[str]]) -> None:
        for index, header in enumerate(headers):
            name = header.split("/")[-1]
            if name in form.labels and form.question(name).kind == "select_one":
                for row in rows:
                    list_name = form.question(name).list_name
                    row[index] = (
                        site_names[row[index]]
                        if name == "site_id"
                        else labels.get((list_name, row[index]), "")
                    )
            if name in form.labels and form.question(name).kind != "calculate":
                headers[index] = "/".join([*header.split("/")[:-1], form.labels[name]])

    french = edit_csv(data, as_labels)
    assert b"Sur la concession" in french or b"Aux abords de la concession" in french
    followed = import_file(clients["risk_manager"], french, "etiquettes.csv")
    assert "Imported etiquettes.csv: 10 observations" in text_of(followed)


def test_the_disclosure_reports_monitoring_signals_in_portuguese(clients, flagged):
    section = text_of(clients["executive"].get("/reports/asm-disclosure", query_string={"lang": "pt"}))
    assert "Sinais de monitorização: indicadores-chave de risco e os seus disparos em" in section
    assert "Mineiros na concessão subiu de 120 para 600" in section and "Valor atual" in section
    absent(section, "Monitoring signals", "Value now", "Triggers in", "rose from 120")
