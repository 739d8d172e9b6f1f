"""The workbook in the reader's language, and back: sheet names, headers, drop-downs and the Legend
are written in the language of whoever exports; the import recognises them in every language, so a
workbook exported in Portuguese (or French) imports back unchanged; the import pages and problems
speak the reader's language."""

from __future__ import annotations

import html
import io

import openpyxl
import pytest
from flask_babel import force_locale

from riskreg.exports import labels
from riskreg.exports.columns import REGISTER_COLUMNS
from riskreg.i18n.languages import LANGUAGES
from riskreg.imports.reader import header_index
from riskreg.risks.models import Direction
from tests.conftest import text_of as raw_text
from tests.jobs_support import job_row
from tests.xlsx_files import export, set_cell, upload

SHEETS = (
    labels.REGISTER,
    labels.CONTROLS,
    labels.HEATMAP,
    labels.SITES,
    labels.LEGEND,
    labels.COVERAGE,
    labels.DISCLOSURE,
)


@pytest.fixture
def risks(make_risk, make_site):
    site = make_site(name="Nyota Gold Mine")
    return [
        make_risk(title="Encroachment on the lease", site_id=site.id),
        make_risk(title="Mercury downstream", direction=Direction.TO_COMMUNITIES, category="Environment"),
        make_risk(title="A corporate risk"),  # no site: the Site cell says "Corporate" in its language
    ]


def text_of(response) -> str:
    return html.unescape(raw_text(response))


def book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def edited(data: bytes, sheet: str, ref: str, header: str, value) -> bytes:
    """The export with one cell of its register sheet (named in the export's language) changed."""
    wb = book(data)
    set_cell(wb[sheet], ref, header, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def register_rows(data: bytes, sheet: str) -> list[dict]:
    rows = list(book(data)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_sheet_names_are_valid_excel_names_in_every_language(app, lang):
    with app.test_request_context(), force_locale(lang):
        names = [labels.sheet_name(msgid) for msgid in SHEETS]
        for msgid, name in zip(SHEETS, names, strict=True):
            assert 0 < len(name) <= 31 and not labels.NOT_IN_SHEET_NAMES.search(name), name
            assert name == labels.words(msgid), f"the translation of {msgid} is no sheet name"
        assert len({labels.norm(name) for name in names}) == len(names)  # no two sheets share a name


def test_every_language_gives_each_register_column_its_own_header(app):
    """The import reads a header in any language: no word may name two columns in any of them."""
    with app.test_request_context():
        index = header_index()
        for lang in LANGUAGES:
            with force_locale(lang):
                shown = [column.label for column in REGISTER_COLUMNS]
                assert len({labels.norm(text) for text in shown}) == len(shown), lang
                for column, text in zip(REGISTER_COLUMNS, shown, strict=True):
                    assert index[labels.norm(text)] is column, (lang, text)


def test_a_portuguese_export_imports_back_unchanged(clients, risks):
    client = clients["risk_manager"]
    data = export(client, "?lang=pt")  # ?lang= sets the session's language: the export speaks it too
    wb = book(data)
    assert wb.sheetnames[:7] == [
        "Riscos",
        "Medidas",
        "Mapa de calor",
        "Locais",
        "Legenda",
        "Cobertura",
        "Divulgação MAPE",
    ]
    headers = [cell.value for cell in wb["Riscos"][1]]
    assert headers[:3] == ["Ref.", "Título", "Local"] and "Probabilidade inerente" in headers
    assert "Title" not in headers and "Inherent likelihood" not in headers
    rows = {row["Título"]: row for row in register_rows(data, "Riscos")}
    assert rows["A corporate risk"]["Local"] == "Sede"
    assert rows["Encroachment on the lease"]["Local"] == "Nyota Gold Mine"
    # The drop-downs point at the Legend sheet under its Portuguese name, quoted as Excel wants.
    sources = [v.formula1 for v in wb["Riscos"].data_validations.dataValidation if v.type == "list"]
    assert sources and all(source.startswith("Legenda!$") for source in sources)
    legend = [row[0] for row in wb["Legenda"].iter_rows(values_only=True) if row[0]]
    assert "Exportado por" in legend and "Exported by" not in legend
    heatmap = [row[0] for row in wb["Mapa de calor"].iter_rows(values_only=True) if row[0]]
    assert "Riscos por célula da matriz" in heatmap

    page = text_of(upload(client, data))  # imported back by the same (Portuguese) reader
    assert "0 risco novo 0 risco com alterações 3 sem alterações 0 problema" in page, page
    assert "Nada a importar: cada linha coincide com o registro." in page

    client.get("/?lang=en")  # ...and by the same person reading in English
    page = text_of(upload(client, data))
    assert "0 new risks 0 risks with changes 3 unchanged 0 problems" in page, page


def test_a_french_export_imported_by_an_english_user(clients, risks):
    data = export(clients["risk_manager"], "?lang=fr")
    assert book(data).sheetnames[:5] == ["Registre", "Contrôles", "Carte de chaleur", "Sites", "Légende"]
    assert [c.value for c in book(data)["Registre"][1]][:2] == ["Réf.", "Titre"]
    page = text_of(upload(clients["admin"], data))  # the admin reads in English
    assert "0 new risks 0 risks with changes 3 unchanged 0 problems" in page, page

    ref = risks[0].ref
    changed = edited(data, "Registre", ref, "Titre", "Encroachment on the northern lease")
    page = text_of(upload(clients["admin"], changed))
    assert "0 new risks 1 risk with changes 2 unchanged 0 problems" in page, page
    assert "Encroachment on the northern lease" in page


def test_the_import_pages_and_their_problems_speak_french(clients, risks):
    client = clients["risk_manager"]
    page = text_of(client.get("/import?lang=fr"))
    assert "Importer le registre depuis Excel" in page and "Prévisualiser l’import" in page
    for english in (
        "Import the register from Excel",
        "Preview the import",
        "Upload a workbook",
        "Only unprotected",
    ):
        assert english not in page

    data = export(client)  # French, as the session now is
    ref = risks[0].ref
    bad = edited(data, "Registre", ref, "Probabilité inhérente", 9)
    page = text_of(upload(client, bad))
    assert "Problèmes — rien ne peut être importé tant qu’ils ne sont pas corrigés" in page
    assert "Probabilité inhérente doit aller de 1 à 5 ; 9 est hors limites." in page
    assert "1 problème" in page and "must be from 1 to 5" not in page and "Problems —" not in page

    refused = text_of(upload(client, b"", "register.xlsx"))
    assert "Choisissez le classeur à importer." in refused or "Le fichier est vide." in refused
    assert "The file is empty." not in refused


@pytest.mark.parametrize(
    ("lang", "words", "english"),
    [
        ("es", "Importar el registro desde Excel", "Import the register from Excel"),
        ("pt", "Importar o registro a partir do Excel", "Import the register from Excel"),
    ],
)
def test_the_upload_page_in_spanish_and_portuguese(clients, lang, words, english):
    page = text_of(clients["risk_manager"].get(f"/import?lang={lang}"))
    assert words in page and english not in page


def test_an_unknown_choice_is_explained_in_the_readers_language(clients, risks):
    client = clients["risk_manager"]
    data = export(client, "?lang=es")
    bad = edited(data, "Registro", risks[0].ref, "Tratamiento", "Ignorar")
    page = text_of(upload(client, bad))
    assert "'Ignorar' no es un valor válido (tratamiento); use uno de estos:" in page, page


def test_a_background_export_is_written_in_the_language_of_its_request(app, clients, risks):
    app.config["EXPORT_INLINE_MAX_RISKS"] = 2  # three risks: the export is offered as a job
    client = clients["risk_manager"]
    page = text_of(client.get("/export.xlsx?lang=pt"))
    assert "Iniciar a exportação" in page and "Start the export" not in page
    client.get("/?lang=en")
    job_id = _start_in(client, "pt")
    job = job_row(job_id)
    assert job.parameters == {"query": "", "locale": "pt"}  # a code, not a translated text
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200
    data = response.get_data()
    response.close()
    assert book(data).sheetnames[0] == "Riscos"


def _start_in(client, lang: str) -> int:
    """The background export started from a page in `lang` (start_export checks English words)."""
    import re

    page = client.get(f"/export.xlsx?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"query": "", **({"csrf_token": token.group(1)} if token else {})}
    response = client.post("/export.xlsx", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_english_export_is_unchanged_by_the_translations(clients, risks):
    data = export(clients["risk_manager"])
    assert book(data).sheetnames[:5] == ["Register", "Controls", "Heatmap", "Sites", "Legend"]
    assert [c.value for c in book(data)["Register"][1]] == [c.header for c in REGISTER_COLUMNS]


def test_the_export_command_writes_the_language_asked_for(runner, risks, tmp_path):
    out = tmp_path / "registro.xlsx"
    result = runner.invoke(args=["export", "--out", str(out), "--lang", "es"])
    assert result.exit_code == 0, result.output
    wb = book(out.read_bytes())
    assert wb.sheetnames[:5] == ["Registro", "Controles", "Mapa de calor", "Sitios", "Leyenda"]
    assert [c.value for c in wb["Registro"][1]][:2] == ["Ref.", "Título"]
    refused = runner.invoke(args=["export", "--out", str(out), "--lang", "de"])
    assert refused.exit_code != 0


def test_a_register_changed_since_the_preview_is_said_in_french(clients, users, risks):
    from riskreg.extensions import db
    from riskreg.risks import services as risk_services
    from riskreg.risks.models import Risk
    from tests.xlsx_files import token_of

    client = clients["risk_manager"]
    risk = risks[0]
    data = edited(export(client, "?lang=fr"), "Registre", risk.ref, "Titre", "Encroachment, north lease")
    token = token_of(upload(client, data))
    other = db.session.get(Risk, risk.id)
    fields = {name: getattr(other, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(other, {**fields, "cause": "Renamed meanwhile"}, users["admin"], other.version)
    db.session.commit()
    page = text_of(client.post("/import/confirm", data={"token": token}))
    assert "Le registre a changé depuis votre aperçu." in page and "Rien n’a été importé." in page
    assert f"{risk.ref} — modification par {users['admin'].name} le " in page, page
    assert "The register changed" not in page and " by " not in page


def test_a_lazy_text_from_another_sheet_is_written_as_plain_text(app):
    """Sheets of other parts may hand in lazy_gettext texts: openpyxl takes plain str only."""
    from flask_babel import lazy_gettext
    from openpyxl import Workbook

    from riskreg.exports.cells import Header, TableSheet

    out = io.BytesIO()
    with app.test_request_context(), force_locale("fr"):
        wb = Workbook(write_only=True)
        sheet = TableSheet(wb, lazy_gettext("Legend"), [Header(lazy_gettext("Status"), 10), Header("x", 5)])
        sheet.append([lazy_gettext("Yes"), 1])
        sheet.finish()
        wb.save(out)
    written = book(out.getvalue())
    assert written.sheetnames == ["Légende"]
    assert list(written["Légende"].iter_rows(values_only=True)) == [("Statut", "x"), ("Oui", 1)]


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Register", "Register"),
        ("Divulgação MAPE", "Divulgação MAPE"),
        ("Risques: probabilité / impact [2026]", "Risques probabilité impact 2026"),
        ("Une traduction bien trop longue pour un nom de feuille", "Une traduction bien trop longue"),
    ],
)
def test_every_sheet_gets_a_valid_excel_name(title, name):
    from riskreg.exports.cells import fitted_sheet_name

    assert fitted_sheet_name(title) == name and len(name) <= 31
