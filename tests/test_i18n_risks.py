"""The register's pages in French, Spanish and Portuguese: the list (filters, headers, bulk form,
saved views, pagination), a risk (scores, history, comments), the form with its errors, the
template picker, search; enum labels translated where they are read and listed for the catalogues;
a service error shown in French."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

import riskreg
from riskreg.config import ROOT
from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, english_labels, labelled_enums
from riskreg.risks import services
from riskreg.risks.models import Direction, RiskStatus, Treatment
from tests.conftest import risk_form, text_of

POT = ROOT / "riskreg" / "translations" / "messages.pot"


def import_every_model_module() -> None:
    """Every riskreg.*.models (and the import hub), so every LabelledEnum subclass exists."""
    importlib.import_module("riskreg.models")
    for module in pkgutil.iter_modules(riskreg.__path__):
        if module.ispkg and (Path(riskreg.__path__[0]) / module.name / "models.py").exists():
            importlib.import_module(f"riskreg.{module.name}.models")


def all_subclasses(cls: type) -> list[type]:
    found, pending = [], list(cls.__subclasses__())
    while pending:
        sub = pending.pop()
        found.append(sub)
        pending.extend(sub.__subclasses__())
    return found


def test_every_enum_label_is_in_the_template_catalogue():
    import_every_model_module()
    with open(POT, "rb") as handle:
        extracted = {(m.context, m.id) for m in read_po(handle) if m.id}
    enums = all_subclasses(LabelledEnum)
    assert len(enums) >= 30 and set(enums) == set(labelled_enums())
    missing = [
        f"{cls.__name__}.{member.name}: {member.english_label!r}"
        for cls in enums
        for member in cls
        if (cls.label_context(), member.english_label) not in extracted
    ]
    assert not missing, f"run `make messages` (riskreg/i18n/enum_labels.py first): {missing[:10]}"


def test_the_generated_module_lists_every_label():
    text = (ROOT / "riskreg" / "i18n" / "enum_labels.py").read_text(encoding="utf-8")
    listed = set(re.findall(r'pgettext\("([^"]+)", "((?:[^"\\]|\\.)*)"\)', text))
    assert listed == set(english_labels())


def test_labels_are_translated_where_they_are_read_and_english_stays_plain(app):
    with force_locale("fr"):
        assert RiskStatus.OPEN.label == "Ouvert"
        assert Direction.TO_ASM.label == "Pour les mineurs de l’EMAPE"
        assert Treatment.choices()[0] == ("avoid", "Éviter")
        assert type(RiskStatus.OPEN.label) is str
        assert RiskStatus.OPEN.english_label == "Open"  # what a file or the database gets
        assert Direction.TO_ASM.english_label == "To ASM miners"  # a subclass's own English
    with force_locale("pt"):
        from riskreg.grievances.models import GrievanceStatus

        assert GrievanceStatus.RESOLVED.label == "Resolvida"  # its own context: feminine
    assert RiskStatus.OPEN.label == "Open" and Direction.TO_ASM.label == "To ASM miners"


def test_every_label_holds_each_language(app):
    with force_locale("fr"):
        assert Direction.TO_COMPANY.every_label() == {
            "To the company",
            "Pour l’entreprise",
            "Para la empresa",
            "Para a empresa",
        }
        assert Direction.TO_COMPANY.label == "Pour l’entreprise"  # the reader's language is back


def test_label_of_and_yes_no_in_the_readers_language(app):
    from riskreg.labels import label_of

    with force_locale("es"):
        assert label_of(True) == "Sí" and label_of(False) == "No"
        assert label_of("to_company", "direction", "risk") == "Para la empresa"
        assert label_of("Corporate", "site", "risk") == "Corporativo"
        assert label_of("Environment", "category", "risk") == "Medio ambiente"  # the seed's Spanish
    assert label_of(True) == "Yes"


@pytest.fixture
def register(make_risk, make_site, users):
    north = make_site(name="North")
    risk = make_risk(title="Encroachment north", site_id=north.id, residual_likelihood=4, residual_impact=4)
    make_risk(title="Mercury downstream", direction=Direction.TO_COMMUNITIES, category="Environment")
    return risk


ENGLISH_ON_THE_LIST = [
    "Risk register",
    "New risk from template",
    "All sites",
    "Not archived",
    "Flagged for review",
    "Due within 7 days",
    "Show these columns",
    "Save these filters as a view",
    "Change the selected risks",
    "Apply to the selected risks",
    "Next review",
    "To the company",
    ">Open<",
    "— keep —",
]


def test_the_register_in_french(clients, register):
    page = clients["risk_manager"].get("/risks?lang=fr")
    html, text = page.get_data(as_text=True), text_of(page)
    for french in [
        "Registre des risques",
        "Nouveau risque à partir d’un modèle",
        "Tous les sites",
        "Non archivés",
        "Signalé pour revue",
        "Afficher ces colonnes",
        "Enregistrer ces filtres comme vue",
        "Modifier les risques sélectionnés",
        "Prochaine revue",
        "Pour l’entreprise",
        "2 risques",
        "Ouvert",
    ]:
        assert french in text, french
    for english in ENGLISH_ON_THE_LIST:
        assert english not in html, english
    assert 'data-label="Responsable"' in html and 'aria-label="Sélectionner R-0001"' in html
    assert 'placeholder="AAAA-MM-JJ"' in html


def test_the_register_in_spanish_and_portuguese(clients, register):
    client = clients["risk_manager"]
    spanish = text_of(client.get("/risks?lang=es"))
    assert "Registro de riesgos" in spanish and "Todos los sitios" in spanish and "2 riesgos" in spanish
    assert "Risk register" not in spanish and "All sites" not in spanish
    portuguese = text_of(client.get("/risks?lang=pt"))
    assert "Todos os locais" in portuguese and "Próxima revisão" in portuguese and "2 riscos" in portuguese
    assert "All sites" not in portuguese and "Next review" not in portuguese


def test_an_empty_register_and_pagination_in_french(clients, make_risk):
    client = clients["risk_manager"]
    empty = text_of(client.get("/risks?lang=fr&q=nothing-like-this"))
    assert "Aucun risque ne correspond à ces filtres." in empty and "Effacer les filtres" in empty
    assert "No risks match" not in empty
    for n in range(3):
        make_risk(title=f"Risk {n}")
    paged = text_of(client.get("/risks?per_page=2"))
    assert "Page 1 sur 2" in paged and "Suivante →" in paged and "Next" not in paged


def test_a_risk_page_with_history_and_comments_in_french(clients, register, users):
    client = clients["risk_manager"]
    services.update_risk(
        register, {**_editable(register), "title": "Renamed"}, users["risk_manager"], register.version
    )
    db.session.commit()
    client.post(f"/risks/{register.id}/comments", data={"body": "Vu sur place"})
    page = client.get(f"/risks/{register.id}?lang=fr")
    html, text = page.get_data(as_text=True), text_of(page)
    for french in [
        "Aperçu",
        "Probabilité",
        "Inhérent",
        "Résiduel",
        "Responsabilité",
        "Traitement",
        "Historique",
        "Modification",
        "par Rhea Risk",
        "Champ",
        "Avant",
        "Après",
        "titre",
        "Commentaires",
        "Ajouter le commentaire",
        "Archiver R-0001",
        "Réduire",
    ]:
        assert french in text, french
    for english in [
        "Overview",
        ">Likelihood<",
        "Ownership",
        "No changes recorded yet",
        "Add comment",
        "Score and band",
        ">Reduce<",
        "Corporate",
        ">Before<",
    ]:
        assert english not in html, english


def _editable(risk):
    return {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}


def test_the_risk_form_with_errors_in_french(clients):
    client = clients["risk_manager"]
    page = client.post(
        "/risks/new?lang=fr", data=risk_form(title="", residual_likelihood="5", residual_impact="5")
    )
    text = text_of(page)
    assert page.status_code == 200
    assert "Nouveau risque" in text and "Créer le risque" in text and "Titre" in text
    assert "Le score résiduel (25) ne peut pas dépasser le score inhérent (16)" in text
    assert "Choisir…" in text and "Domaine de conséquences qui détermine l’impact" in text
    for english in [
        "Create risk",
        "Choose…",
        "cannot be higher",
        "Ownership and treatment",
        "What the levels and bands mean",
    ]:
        assert english not in text, english


def test_a_service_error_is_translated_where_it_is_shown(app):
    with pytest.raises(services.RiskRuleError) as refused:
        services.check_treatment({"treatment": Treatment.ACCEPT}, None)
    with force_locale("fr"):
        assert str(refused.value).startswith("Accepter un risque demande une approbation")
    assert str(refused.value).startswith("Accepting a risk needs an approval")


def test_the_template_picker_and_search_in_portuguese(clients, register):
    client = clients["risk_manager"]
    picker = text_of(client.get("/risks/new/template?lang=pt"))
    assert "Novo risco a partir de um modelo" in picker and "Todas as direções" in picker
    assert "Every direction" not in picker and "Start from a blank form" not in picker
    found = text_of(client.get("/search?q=Encroachment"))
    assert "Riscos" in found and "Procurar “Encroachment” nos riscos" in found
    assert "in the register" not in found
    nothing = text_of(client.get("/search?q=zzzzzz"))
    assert "Nada corresponde a “zzzzzz”." in nothing


def test_a_bulk_change_flash_in_french(clients, register):
    client = clients["risk_manager"]
    client.get("/risks?lang=fr")
    page = client.post(
        "/risks/bulk",
        data={"item": f"{register.id}:{register.version}", "status": "draft", "back": "/risks"},
        follow_redirects=True,
    )
    assert "1 risque modifié." in text_of(page)
