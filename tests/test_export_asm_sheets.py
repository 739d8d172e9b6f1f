"""The Coverage and ASM disclosure sheets of the workbook, read by openpyxl and python-calamine and
checked against /standards and /reports/asm-disclosure for the same data."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

from riskreg.controls.models import ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.reports.disclosure import disclosure_report
from riskreg.risks.models import Direction
from riskreg.sites import engagements
from riskreg.sites.models import Lifecycle
from riskreg.standards import links, settings
from riskreg.standards.coverage import STATE_COLOURS, STATE_LABELS
from tests.asm_helpers import load_catalogue, make_control, observe, row_html
from tests.conftest import text_of
from tests.xlsx_files import calamine_rows, export, workbook

THIS_YEAR = today().year
CSS = Path(__file__).resolve().parent.parent / "riskreg" / "static" / "css" / "app.css"
CELL = re.compile(
    r'<td class="cov cov-(\w+)" data-code="([^"]+)" data-site="([^"]*)"[^>]*>\s*<strong>([^<]*)</strong>'
    r'\s*<small class="cov-detail">(.*?)</small>',
    re.S,
)


@pytest.fixture
def estate(app, users, make_site, make_risk):
    """Three operating sites (two with ASM this year, one named like a formula), one in construction;
    controls linked to IRMA and RJC requirements; the company's frameworks are IRMA and RJC."""
    load_catalogue()
    alpha, bravo = make_site(name="Alpha"), make_site(name="=Bravo pits")
    charlie = make_site(name="Charlie")
    echo = make_site(name="Echo", lifecycle=Lifecycle.CONSTRUCTION)
    jan = date(THIS_YEAR, 1, 1)
    observe(alpha, observed_on=jan, location="on_concession", miners=300)
    observe(bravo, observed_on=jan, location="distant", distance_km=3.0, miners=60)
    observe(charlie, observed_on=jan, location="distant", distance_km=25.0, miners=10)
    observe(echo, observed_on=jan, location="on_concession", miners=500)
    alpha_risk = make_risk(site_id=alpha.id, residual_likelihood=4, residual_impact=4)
    links.set_risk_requirements(alpha_risk, ["IRMA-3.6"])
    bravo_risk = make_risk(
        site_id=bravo.id, direction=Direction.TO_ASM, category="Human Rights - Security", residual_impact=5
    )
    corporate = make_risk()
    db.session.commit()
    patrols = make_control(
        "Patrols", status=ControlStatus.IN_PROGRESS, risks=[alpha_risk], requirements=["IRMA-3.6"]
    )
    make_control("Liaison plan", risks=[bravo_risk], requirements=["IRMA-3.6"])
    make_control(
        "Group sourcing policy",
        status=ControlStatus.IMPLEMENTED,
        risks=[corporate],
        requirements=["RJC-COP-35"],
    )
    engagements.add_engagement(
        alpha,
        {
            "held_on": jan,
            "stakeholder_group": "asm_cooperative",
            "mode": "direct",
            "topics": "Boundaries",
            "follow_up_controls": [patrols.id],
        },
        actor=None,
    )
    settings.save_frameworks(["IRMA", "RJC"], users["admin"])
    db.session.commit()
    return {"sites": (alpha, bravo, charlie, echo), "patrols": patrols}


def page_cells(page: str) -> dict[tuple[str, str], dict]:
    """Every cell of the /standards matrix: its state, label and the counts it shows."""

    def number(pattern: str, text: str) -> int:
        found = re.search(pattern, text)
        return int(found.group(1)) if found else 0

    cells = {}
    for state, code, site, label, detail in CELL.findall(page):
        detail = " ".join(detail.split())
        last = re.search(r"\(last ([\d-]+)\)", detail)
        cells[(code, html.unescape(site))] = {
            "state": state,
            "label": html.unescape(label),
            "active": number(r"(\d+) in progress or done", detail),
            "planned": number(r"(\d+) planned", detail),
            "risks": number(r"(\d+) risks?\b", detail),
            "engagements": number(r"(\d+) engagements?\b", detail),
            "last": date.fromisoformat(last.group(1)) if last else None,
        }
    return cells


def css_colours() -> dict[str, str]:
    css = CSS.read_text()
    return {
        state: re.search(rf"\.cov-{state} \{{ background: (#[0-9a-fA-F]{{6}}); \}}", css).group(1).upper()
        for state in STATE_LABELS
    }


def test_coverage_sheet_matches_the_standards_page(clients, estate):
    data = export(clients["executive"])
    page = clients["executive"].get("/standards").get_data(as_text=True)
    assert 'href="/export.xlsx">Excel workbook' in page
    cells = page_cells(page)
    rows = list(workbook(data)["Coverage"].iter_rows(values_only=True))
    calamine = calamine_rows(data, "Coverage")
    assert list(rows[0]) == calamine[0] and rows[0][:7] == (
        "Framework",
        "Code",
        "Identifier",
        "Edition",
        "Requirement",
        "Site",
        "Coverage",
    )
    assert len(rows) - 1 == len(cells) == len(calamine) - 1 > 0  # one row per cell of the page
    assert {row[0] for row in rows[1:]} == {"IRMA", "RJC"}  # the company's frameworks only
    for row, other in zip(rows[1:], calamine[1:], strict=True):
        cell = cells[(row[1], row[5])]
        assert row[6] == cell["label"] == STATE_LABELS[cell["state"]]
        assert row[7:11] == (cell["active"], cell["planned"], cell["risks"], cell["engagements"])
        assert all(isinstance(value, int) for value in row[7:11])
        assert (row[11].date() if row[11] else None) == cell["last"]
        assert other[:11] == [*row[:7], *(float(n) for n in row[7:11])]
        assert other[11] == (cell["last"] or "")
    states = {(row[1], row[5]): row[6] for row in rows[1:]}
    assert (
        states[("IRMA-3.6", "Alpha")] == "Covered" and states[("IRMA-3.6", "=Bravo pits")] == "Planned only"
    )
    assert (
        states[("IRMA-3.6", "Charlie")] == "Gap" and states[("RJC-COP-35", "Group (corporate)")] == "Covered"
    )
    alpha = next(row for row in rows if row[1] == "IRMA-3.6" and row[5] == "Alpha")
    assert alpha[12] == f"{estate['patrols'].ref} (In progress)"


def test_coverage_cells_take_the_standards_page_colours(clients, estate):
    assert {state: colour.upper() for state, colour in STATE_COLOURS.items()} == css_colours()
    ws = workbook(export(clients["executive"]))["Coverage"]
    by_label = {label: css_colours()[state].lstrip("#") for state, label in STATE_LABELS.items()}
    seen = set()
    for row in ws.iter_rows(min_row=2):
        assert row[6].fill.fill_type == "solid" and row[6].fill.fgColor.rgb[-6:] == by_label[row[6].value]
        assert row[7].fill.fill_type is None  # only the state is coloured
        seen.add(row[6].value)
    assert seen == set(STATE_LABELS.values())


def test_coverage_sheet_is_a_tidy_table_with_safe_text(clients, estate):
    data = export(clients["executive"])
    ws = workbook(data)["Coverage"]
    assert all(cell.font.b for cell in ws[1]) and ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:M{ws.max_row}"
    assert ws.column_dimensions["E"].width == 44
    bravo = [row[5] for row in ws.iter_rows(min_row=2) if row[5].value == "=Bravo pits"]
    assert bravo and all(cell.data_type == "s" and cell.quotePrefix for cell in bravo)
    assert "=Bravo pits" in {row[5] for row in calamine_rows(data, "Coverage")}


def test_disclosure_sheet_matches_the_report(clients, estate):
    report = disclosure_report(THIS_YEAR)
    response = clients["executive"].get(f"/reports/asm-disclosure?year={THIS_YEAR}")
    page = response.get_data(as_text=True)
    assert "2 of 3 operating sites (66.7%)" in text_of(response)
    assert f'href="/export.xlsx?year={THIS_YEAR}">Excel workbook' in page
    data = export(clients["executive"])
    ws = workbook(data)["ASM disclosure"]
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[0]
    assert headers[4] == f"ASM on or adjacent in {THIS_YEAR}" and all(cell.font.b for cell in ws[1])
    body = {row[0]: dict(zip(headers, row, strict=True)) for row in rows[1:7]}
    assert list(body) == [line.name for line in report.sites] + [report.total.name, report.corporate.name]
    for line in report.sites:
        row = body[line.name]
        assert row["Counted as operating"] == ("Yes" if line.counted else "No")
        assert row[f"ASM on or adjacent in {THIS_YEAR}"] == line.presence.label
        row_cells = row_html(page, html.escape(line.name))
        numbers = [int(n) for n in re.findall(r'<td class="num"[^>]*>(\d+)</td>', row_cells)]
        assert [row["Observations in the year"], row["Open risks"], row["Controls"]] == [
            numbers[0],
            line.risk_total,
            line.control_total,
        ]
        assert numbers[-2:] == [line.risk_total, line.control_total]
        assert row["Most miners estimated"] == line.max_miners and isinstance(row["Open risks"], int)
    total = body[report.total.name]
    assert total[f"ASM on or adjacent in {THIS_YEAR}"] == "2 of 3" and total["Open risks"] == 2
    assert total["Open risks: To the company · Extreme"] == 1 and total["Controls: In progress"] == 1
    assert body[report.corporate.name]["Controls: Implemented"] == 1
    assert ws.auto_filter.ref == "A1:Z5"  # the sites only: sorting them leaves the total below
    assert all(cell.font.b for cell in ws[6] if cell.value is not None)

    figures = {row[0].value: row[1] for row in ws.iter_rows(min_row=8) if row[0].value and len(row) > 1}
    share = figures["Percentage"]
    assert share.value == pytest.approx(2 / 3) and share.number_format == "0.0%"
    assert f"{share.value:.1%}" == f"{report.percentage}%" == "66.7%"
    assert figures["Operating sites"].value == 3 and figures["ASM on the site"].value == 1
    calamine = {row[0]: row[1] for row in calamine_rows(data, "ASM disclosure") if row and row[0]}
    assert calamine["Percentage"] == pytest.approx(2 / 3)
    assert calamine[f"Operating sites with ASM on or adjacent in {THIS_YEAR}"] == 2
    assert calamine["=Bravo pits"] == "Ghana"  # the site named like a formula stays text
    bravo = next(row[0] for row in ws.iter_rows(min_row=2) if row[0].value == "=Bravo pits")
    assert bravo.data_type == "s" and bravo.quotePrefix


def test_the_asm_sheets_ignore_the_register_filters(clients, estate):
    charlie = estate["sites"][2]
    whole, filtered = export(clients["executive"]), export(clients["executive"], f"?site={charlie.id}")
    assert len(calamine_rows(filtered, "Register")) == 1  # Charlie has no risk
    for sheet in ("Coverage", "ASM disclosure"):
        assert calamine_rows(whole, sheet) == calamine_rows(filtered, sheet)
    legend = {row[0]: row[1] for row in calamine_rows(filtered, "Legend") if row and row[0]}
    assert (
        legend["Coverage"]
        == "The company's frameworks (IRMA, RJC), as on /standards. All risks and controls."
    )
    assert legend["ASM disclosure"] == f"{THIS_YEAR}, as /reports/asm-disclosure?year={THIS_YEAR}. All sites."


def test_the_disclosure_year_from_the_address_and_the_command_line(clients, runner, estate, tmp_path):
    last_year = THIS_YEAR - 1
    rows = calamine_rows(export(clients["executive"], f"?year={last_year}"), "ASM disclosure")
    assert rows[0][4] == f"ASM on or adjacent in {last_year}"
    assert {row[0]: row[1] for row in rows if row and row[0]}[
        "Operating sites with ASM on or adjacent in " + str(last_year)
    ] == 0
    bad = clients["executive"].get("/export.xlsx?year=20x5")
    assert bad.status_code == 400 and "four-digit year" in text_of(bad)

    out = tmp_path / "register.xlsx"
    result = runner.invoke(args=["export", "--out", str(out), "--year", str(last_year)])
    assert result.exit_code == 0 and f"(ASM disclosure {last_year})" in result.output
    assert calamine_rows(out.read_bytes(), "ASM disclosure")[0][4] == f"ASM on or adjacent in {last_year}"
    refused = tmp_path / "refused.xlsx"
    result = runner.invoke(args=["export", "--out", str(refused), "--year", str(THIS_YEAR + 1)])
    assert result.exit_code != 0 and "has not happened yet" in result.output and not refused.exists()


def test_the_disclosure_sheet_has_the_asm_grievances_per_site_as_the_report_and_no_identity(
    clients, users, make_site, make_risk
):
    from riskreg.grievances import services as grievances
    from tests.grievance_support import new_grievance, new_stakeholder

    site, other = make_site(name="Nyota Gold Mine"), make_site(name="=Formula pits")
    cooperative, council = (
        new_stakeholder(site),
        new_stakeholder(site, "Shire council", type="local_government"),
    )
    secret = {"name": "Abena Owusu-Secret", "contact": "+233 24 555 0199"}
    on = today()
    hurt = {"human_rights_impact": True, "received_on": on, "complainant": secret}
    new_grievance(site, users["admin"], stakeholder_id=cooperative.id, **hurt)
    new_grievance(site, users["admin"], stakeholder_id=council.id, received_on=on)  # not related to ASM
    linked = new_grievance(other, users["admin"], category="water", received_on=on, complainant=secret)
    grievances.link_risk(linked, make_risk(site_id=other.id, direction="to_asm").ref, users["admin"])
    db.session.commit()
    page = text_of(clients["executive"].get(f"/reports/asm-disclosure?year={THIS_YEAR}"))
    assert "Nyota Gold Mine 1 0 1 0 1 Land (1)" in page and "=Formula pits 1 0 1 0 0 Water (1)" in page
    data = export(clients["admin"], f"?year={THIS_YEAR}")  # even an admin's export holds no identity
    ws = workbook(data)["ASM disclosure"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    start = rows.index(
        [f"Grievances related to ASM received in {THIS_YEAR}, per site"] + [None] * (len(rows[0]) - 1)
    )
    headers = [cell for cell in rows[start + 1] if cell is not None]
    assert headers == ["Site", "Grievances received", "Closed", "Open", "Reached appeal",
                       "Alleging a human-rights impact", "Categories"]  # fmt: skip
    body = [[cell for cell in row[:7]] for row in rows[start + 2 : start + 4]]
    assert body == [
        ["=Formula pits", 1, 0, 1, 0, 0, "Water (1)"],
        ["Nyota Gold Mine", 1, 0, 1, 0, 1, "Land (1)"],
    ]
    formula = next(row[0] for row in ws.iter_rows(min_row=start + 1) if row[0].value == "=Formula pits")
    assert formula.data_type == "s" and formula.quotePrefix
    cells = " ".join(str(c) for row in calamine_rows(data, "ASM disclosure") for c in row)
    assert secret["name"] not in cells and secret["contact"] not in cells
    assert "never who raised them" in cells


def test_a_year_without_asm_grievances_says_so_on_the_sheet(clients):
    cells = [row[0] for row in calamine_rows(export(clients["executive"]), "ASM disclosure") if row]
    assert f"No grievance related to ASM was received in {THIS_YEAR}." in cells
