"""The dashboard (charts included), the ASM disclosure and the standards pages in French, Spanish and
Portuguese: the reader's words everywhere, reference data (bands, levels, requirements) translated,
no English left in the charts' JSON, and the service errors in the reader's language."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from riskreg.dashboard import charts, heatmap
from riskreg.dashboard.trend import TrendSeries
from tests.conftest import text_of
from tests.dashboard_pages import figures, page
from tests.test_dashboard_views import register  # noqa: F401  (the fixture)
from tests.test_disclosure import estate  # noqa: F401  (the fixture)

# What the charts show people: titles, axis titles, tick labels, hover texts, trace names.
SHOWN_KEYS = {"text", "hovertemplate", "hovertext", "ticktext", "name"}
# English words of the charts (the matrix's own labels included) that must not be left.
ENGLISH_IN_CHARTS = re.compile(
    r"\b(Likelihood|risks?|Click|register|overdue|Controls|Open|Residual|Inherent|people|High|Medium|Low"
    r"|Extreme|Catastrophic|Almost certain|Moderate|Minor|Unlikely|Likely|Insignificant)\b"
)


def shown_strings(node: Any, key: str | None = None) -> list[str]:
    """Every string under a key people read, anywhere in a figure."""
    found: list[str] = []
    if isinstance(node, dict):
        for name, value in node.items():
            found += shown_strings(value, name)
    elif isinstance(node, list):
        for item in node:
            found += shown_strings(item, key)
    elif isinstance(node, str) and key in SHOWN_KEYS:
        found.append(node)
    return found


def english_left(texts: list[str]) -> list[str]:
    return [text for text in texts if ENGLISH_IN_CHARTS.search(text)]


def test_the_dashboard_in_portuguese_has_no_english_in_its_charts(clients, register):  # noqa: F811
    text = page(clients["executive"].get("/dashboard?lang=pt"))
    charts_json = {name: body for name, body in figures(text).items() if name != "figure-grievances"}
    assert {"figure-inherent", "figure-residual", "figure-overdue", "figure-trend"} <= set(charts_json)
    shown = [s for body in charts_json.values() for s in shown_strings(body)]
    assert shown and not english_left(shown), english_left(shown)[:5]
    residual = charts_json["figure-residual"]
    assert residual["layout"]["title"]["text"] == "Risco residual"
    assert residual["layout"]["yaxis"]["title"]["text"] == "Probabilidade"
    assert residual["layout"]["xaxis"]["title"]["text"] == "Impacto"
    hover = residual["data"][0]["hovertext"][2][2]  # likelihood 3, impact 3: two risks
    assert hover.startswith("Probabilidade 3") and "2 riscos" in hover and "Clique para os abrir" in hover
    assert charts_json["figure-overdue"]["data"][0]["hovertemplate"].startswith("%{y}: %{x} em atraso")
    assert charts_json["figure-trend"]["layout"]["yaxis"]["title"]["text"] == "Riscos em aberto"


def test_the_dashboard_page_in_portuguese(clients, register):  # noqa: F811
    body = page(clients["executive"].get("/dashboard?lang=pt"))
    assert '<html lang="pt">' in body
    words = text_of(clients["executive"].get("/dashboard"))  # the session keeps Portuguese
    for portuguese in (
        "Painel de riscos ligados à MAPE",
        "Riscos residuais por nível e direção",
        "Data de revisão ultrapassada",
        "Abrir estes riscos na lista de riscos",
        "Medidas em atraso por departamento",
        "Riscos residuais por nível, mês a mês",
    ):
        assert portuguese in words, portuguese
    for english in (
        "ASM risk dashboard",
        "Residual risks per band and direction",
        "Past their review date",
        "Open these risks in the register",
        "Controls overdue per department",
        "implemented or verified",
        "Risks per band",
        "All sites",
        "Apply",
        "Likelihood ↓ / impact →",
        "Click a cell",
        "without an owner",
        "Top 4 residual risks",
    ):
        assert english not in words, english


def test_the_heatmap_in_french_names_each_cell_in_one_sentence(clients, register):  # noqa: F811
    body = page(clients["executive"].get("/dashboard?lang=fr"))
    labels = [html.unescape(label) for label in re.findall(r'aria-label="(Probabilité [^"]+)"', body)]
    assert (
        "Probabilité 3 Possible, impact 3 Modéré : 2 risques résiduels, niveau Élevé. "
        "Les ouvrir dans le registre" in labels
    )
    words = text_of(clients["executive"].get("/dashboard?view=target&lang=fr"))
    assert "n’ont pas encore de note cible" in words or "n’a pas encore de note cible" in words
    assert "no target score" not in words and "Tableau de bord des risques liés à l’EMAPE" in words


def test_the_dashboard_in_spanish(clients, register):  # noqa: F811
    words = text_of(clients["executive"].get("/dashboard?lang=es"))
    assert "Panel de riesgos de la MAPE" in words and "Riesgos por nivel" in words
    assert "ASM risk dashboard" not in words and "Risks per band" not in words


def test_chart_figures_are_plain_json_in_every_language(app):
    """No LazyString in a figure: it goes through json.dumps (the page's tojson) as it is built."""
    from riskreg import scoring

    matrix = scoring.matrix()
    grid = heatmap.build_grid([(1, 5, "to_asm", 2), (3, 3, "to_company", 1)], matrix, "target")
    with app.test_request_context("/dashboard?lang=es"):
        from flask import session

        session["lang"] = "es"
        figure = heatmap.figure(grid, matrix, lambda cell: "/risks")
        trend = charts.trend_figure(TrendSeries([grid_month()], {b.key: [1] for b in matrix.bands}), matrix)
        dumped = json.dumps([figure, trend])
    assert "Riesgo objetivo" in dumped and "Probabilidad" in dumped and "Target" not in dumped
    assert figure["layout"]["title"]["text"] == "Riesgo objetivo"


def grid_month():
    from datetime import date

    return date(2026, 12, 1)


# ("Sites", "Observations" and "Total" are French words too.)
DISCLOSURE_ENGLISH = (
    "Artisanal and small-scale mining: disclosure",
    "Associated risks: open, by direction and residual band",
    "Actions taken to manage and mitigate them",
    "Group-level risks and actions",
    "Grievances related to ASM",
    "Lifecycle",
    "Counted",
    "Most miners",
    "Open risks",
    "Operating sites are active sites",
    "Produced by riskreg",
    "operating sites",
    "Observations in the year",
    "Group (corporate risks)",
)


def test_the_disclosure_report_in_french_has_no_english_headings(clients, estate):  # noqa: F811
    response = clients["executive"].get("/reports/asm-disclosure?lang=fr")
    body = page(response)
    headings = [
        re.sub(r"<[^>]+>", "", inner).strip()
        for inner in re.findall(r"<(?:h1|h2|th)[^>]*>(.*?)</(?:h1|h2|th)>", body, re.S)
    ]
    english = [
        h for h in headings if h in DISCLOSURE_ENGLISH or any(h.startswith(e) for e in DISCLOSURE_ENGLISH)
    ]
    assert headings and not english, english
    words = text_of(response)
    assert "Exploitation minière artisanale et à petite échelle (EMAPE) : déclaration" in words
    assert "2 sites en exploitation sur 4 (50,0 %) avaient de l’exploitation minière artisanale" in words
    assert "Risques associés : ouverts, par sens et niveau résiduel" in words
    for phrase in DISCLOSURE_ENGLISH:
        assert phrase not in words, phrase


def test_the_disclosure_sheet_rows_follow_the_language(app, estate):  # noqa: F811
    from flask import session
    from flask_babel import refresh

    from riskreg.reports.disclosure import disclosure_sheet_rows

    with app.test_request_context("/"):
        session["lang"] = "pt"
        refresh()  # the fixture's app context, shared by this request, already chose English
        sheet = disclosure_sheet_rows(2026)
    assert sheet.headers[:3] == ["Local", "País", "Ciclo de vida"]
    assert all(type(header) is str for header in sheet.headers + sheet.grievance_headers)
    assert sheet.figures[0][0] == "Locais em operação"


def test_a_bad_year_is_refused_in_french(clients):
    response = clients["executive"].get("/reports/asm-disclosure?year=abc&lang=fr")
    assert response.status_code == 400
    assert "doit être une année à quatre chiffres" in text_of(response)


def test_a_dashboard_filter_error_in_french(clients):
    response = clients["executive"].get("/dashboard?colour=red&lang=fr")
    assert response.status_code == 400
    assert "Le tableau de bord n’a pas de filtre nommé" in html.unescape(text_of(response))


def test_the_standards_pages_in_spanish_and_portuguese(clients):
    words = text_of(clients["executive"].get("/standards?lang=es"))
    assert "Cobertura de los estándares por sitio" in words and "Cargue el catálogo con" in words
    assert "Standards coverage by site" not in words and "at least one linked control" not in words
    templates = text_of(clients["executive"].get("/standards/templates?lang=pt"))
    assert "Modelos de riscos" in templates and "Responsável habitual" in templates
    assert "Risk templates" not in templates and "Usual owner" not in templates


def test_a_standards_service_error_in_french(clients):
    """The settings service raises a lazy message: it is read in the reader's language."""
    response = clients["executive"].get("/standards?framework=NOPE&lang=fr")
    assert response.status_code == 400
    assert "Référentiel(s) inconnu(s) : NOPE." in html.unescape(text_of(response))


def test_a_lazy_service_message_reads_in_the_language_where_it_is_shown(app):
    from flask import session

    from riskreg.standards.settings import SettingsError, check_framework_keys

    try:
        check_framework_keys(["NOPE"], [])
    except SettingsError as error:
        raised = error
    with app.test_request_context("/"):
        session["lang"] = "pt"
        assert str(raised) == "Referencial(is) desconhecido(s): NOPE. Referenciais conhecidos: nenhum."
