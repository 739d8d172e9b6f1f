"""The exported workbook, read by two independent readers: openpyxl and python-calamine."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from riskreg import scoring
from riskreg.controls.models import ControlStatus, Effectiveness
from riskreg.exports.columns import REGISTER_COLUMNS
from riskreg.risks.models import Direction, RiskStatus
from riskreg.sites.models import AsmPresence
from tests.xlsx_files import add_control, calamine_rows, export, register_dicts, workbook

# DESIGN.md §4's five, then the ASM sheets (tests/test_export_asm_sheets.py), then Indicators, Acceptances
# (tests/test_indicators_export.py): new sheets come after the first seven, which keep their order.
SHEETS = [
    "Register",
    "Controls",
    "Heatmap",
    "Sites",
    "Legend",
    "Coverage",
    "ASM disclosure",
    "Indicators",
    "Bowtie",
    "Acceptances",
    "Grievances",
]
FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+41 phone",
    "-2 pits",
    "@SUM(A1)",
    "#N/A",
]


@pytest.fixture
def register(make_risk, make_site, users):
    site = make_site(name="Nyota Gold Mine", asm_presence=AsmPresence.ON_SITE)
    risks = {
        "child": make_risk(
            title="Child labour at pits",
            site_id=site.id,
            direction=Direction.TO_ASM,
            inherent_likelihood=4,
            inherent_impact=5,
            residual_likelihood=1,
            residual_impact=5,
            next_review_date=date(2027, 3, 31),
        ),
        "corporate": make_risk(
            title="Buyer audit finding",
            inherent_likelihood=2,
            inherent_impact=2,
            residual_likelihood=1,
            residual_impact=1,
        ),
        "draft": make_risk(title="Mercury downstream", status=RiskStatus.DRAFT, site_id=site.id),
    }
    add_control([risks["child"], risks["corporate"]], title="Community liaison", due_date=date(2020, 5, 1))
    add_control(
        [risks["child"]],
        ControlStatus.VERIFIED,
        effectiveness=Effectiveness.EFFECTIVE,
        closing_note="=cmd|' /C calc'!A0",
        closed_at=datetime(2024, 2, 3, 10, 0),
    )
    return site, risks


def test_every_sheet_read_by_both_readers(clients, register):
    data = export(clients["executive"])
    assert workbook(data).sheetnames == SHEETS
    assert CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names == SHEETS
    for name in SHEETS:
        assert calamine_rows(data, name), name
    headers = calamine_rows(data, "Register")[0]
    assert headers == [c.header for c in REGISTER_COLUMNS] and headers[0] == "Ref"


def test_register_rows_have_real_numbers_dates_and_worked_out_columns(clients, register):
    _, risks = register
    data = export(clients["risk_manager"])
    rows = {row["Ref"]: row for row in register_dicts(data)}
    child = rows[risks["child"].ref]
    assert child["Title"] == "Child labour at pits" and child["Site"] == "Nyota Gold Mine"
    assert (
        child["Direction"] == "To ASM miners" and child["Status"] == "Open" and child["Treatment"] == "Reduce"
    )
    assert (child["Inherent likelihood"], child["Inherent impact"], child["Inherent score"]) == (4, 5, 20)
    assert child["Residual score"] == 5 and isinstance(child["Residual score"], int)
    # the people-first rule: a rare but catastrophic risk to ASM miners is at least High
    assert child["Residual band"] == "High"
    assert child["Next review"] == datetime(2027, 3, 31)
    assert (child["Controls"], child["Open controls"], child["Overdue controls"]) == (2, 1, 1)
    assert rows[risks["corporate"].ref]["Site"] == "Corporate"
    assert rows[risks["corporate"].ref]["Residual band"] == "Low"
    calamine = calamine_rows(data, "Register")
    by_ref = {row[0]: dict(zip(calamine[0], row, strict=True)) for row in calamine[1:]}
    assert by_ref[risks["child"].ref]["Next review"] == date(2027, 3, 31)
    assert by_ref[risks["child"].ref]["Inherent score"] == 20
    assert len(calamine) == 4  # header + three risks, sorted by residual score (highest first)
    assert [row[0] for row in calamine[1:]][-1] == risks["corporate"].ref


def test_band_cells_take_the_matrix_colours(clients, register):
    matrix = scoring.matrix()
    ws = workbook(export(clients["risk_manager"]))["Register"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for column in ("Inherent band", "Residual band"):
            cell = row[headers.index(column)]
            band = next(b for b in matrix.bands if b.label == cell.value)
            assert cell.fill.fill_type == "solid"
            assert cell.fill.fgColor.rgb[-6:] == band.fill.lstrip("#").upper()


def test_header_is_bold_frozen_filtered_sized_and_validated(clients, register):
    book = workbook(export(clients["risk_manager"]))
    ws = book["Register"]
    assert all(cell.font.b for cell in ws[1])
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(REGISTER_COLUMNS))}4"
    assert ws.column_dimensions["B"].width == 48
    legend = book["Legend"]
    sources = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    direction = sources["D2:D1048576"]
    assert direction.type == "list"
    column = direction.formula1.split("!")[1].split(":")[0].replace("$", "")  # Legend!$K$2:$K$4
    listed = [legend[f"{column[0]}{n}"].value for n in range(2, 5)]
    assert listed == [d.label for d in Direction]
    assert sources["G2:G1048576"].type == "whole"
    assert (sources["G2:G1048576"].formula1, sources["G2:G1048576"].formula2) == ("1", "5")
    headers = [c.header for c in REGISTER_COLUMNS]

    def column_of(header: str) -> str:
        letter = get_column_letter(headers.index(header) + 1)
        return f"{letter}2:{letter}1048576"

    validated = ("Category", "Treatment", "Consequence area", "Status", "Site", "Owner", "Target likelihood")
    assert {column_of(header) for header in validated} <= set(sources)
    assert sources[column_of("Target impact")].type == "whole"
    controls = book["Controls"]
    assert controls.freeze_panes == "B2" and controls.auto_filter.ref == "A1:K3"


def test_formula_looking_text_stays_text(clients, make_risk, register):
    refs = {make_risk(title=title).ref: title for title in FORMULAS}
    data = export(clients["risk_manager"])
    rows = {row["Ref"]: row for row in register_dicts(data)}
    ws = workbook(data)["Register"]
    for ref, title in refs.items():
        assert rows[ref]["Title"] == title
        cell = next(row[1] for row in ws.iter_rows(min_row=2) if row[0].value == ref)
        assert cell.data_type == "s" and cell.quotePrefix
    calamine = {row[0]: row[1] for row in calamine_rows(data, "Register")[1:]}
    assert all(calamine[ref] == title for ref, title in refs.items())
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in package.read("xl/worksheets/sheet2.xml")
    note = [row[10] for row in calamine_rows(data, "Controls")[1:] if row[10]]
    assert note == ["=cmd|' /C calc'!A0"]


def test_a_leading_tab_stays_text(clients, make_risk, register):
    """Only multi-line text can start with a tab: a title's tab is a space (riskreg.text)."""
    ref = make_risk(title="\tTabbed", description="\tTabbed").ref
    data = export(clients["risk_manager"])
    row = next(row for row in register_dicts(data) if row["Ref"] == ref)
    assert (row["Title"], row["Description"]) == (" Tabbed", "\tTabbed")
    ws = workbook(data)["Register"]
    headers = [c.value for c in ws[1]]
    cells = next(r for r in ws.iter_rows(min_row=2) if r[0].value == ref)
    description = cells[headers.index("Description")]
    assert description.data_type == "s" and description.quotePrefix


def test_controls_sheet_lists_each_control_with_its_risks(clients, register):
    _, risks = register
    rows = calamine_rows(export(clients["department_head"]), "Controls")
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[:3] == ["Ref", "Title", "Risks"]
    liaison = next(row for row in body if row["Title"] == "Community liaison")
    assert liaison["Risks"] == ", ".join(sorted([risks["child"].ref, risks["corporate"].ref]))
    assert liaison["Department"] == "Security" and liaison["Overdue"] == "Yes"
    assert liaison["Due date"] == date(2020, 5, 1) and liaison["Status"] == "Planned"
    verified = next(row for row in body if row["Status"] == "Verified")
    assert verified["Overdue"] == "No" and verified["Effectiveness"] == "Effective"
    assert verified["Closed on"] == date(2024, 2, 3)


def _heatmap_grids(ws) -> dict[str, dict]:
    """Each grid of the Heatmap sheet by its title: counts, fills, number formats, and the notes
    under it."""
    rows = list(ws.iter_rows())
    grids: dict[str, dict] = {}
    for index, row in enumerate(rows):
        title = row[0].value
        if not (isinstance(title, str) and " risk · " in title):
            continue
        grid: dict = {"axis": [c.value for c in rows[index + 1][1:6]], "cells": {}, "notes": [], "labels": []}
        for offset, likelihood in enumerate(range(5, 0, -1), start=2):
            line = rows[index + offset]
            grid["labels"].append(line[0].value)
            for impact in range(1, 6):
                grid["cells"][likelihood, impact] = line[impact]
        for line in rows[index + 7 :]:
            if not (isinstance(line[0].value, str) and line[0].value.startswith("* ")):
                break
            grid["notes"].append(line[0].value)
        grids[title] = grid
    return grids


def test_heatmap_sheet_has_a_grid_per_direction_and_for_all(clients, register):
    matrix = scoring.matrix()
    grids = _heatmap_grids(workbook(export(clients["executive"]))["Heatmap"])
    names = ["All directions", *(d.label for d in Direction)]
    assert list(grids) == [f"{basis} risk · {name}" for basis in ("Inherent", "Residual") for name in names]
    expected = {
        "Inherent risk · All directions": {(4, 5): 1, (4, 4): 1, (2, 2): 1},
        "Inherent risk · To the company": {(4, 4): 1, (2, 2): 1},
        "Inherent risk · To ASM miners": {(4, 5): 1},
        "Residual risk · All directions": {(1, 5): 1, (3, 3): 1, (1, 1): 1},
        "Residual risk · To the company": {(3, 3): 1, (1, 1): 1},
        "Residual risk · To ASM miners": {(1, 5): 1},
    }
    for title, grid in grids.items():
        assert grid["axis"] == [f"{lv.value} · {lv.label}" for lv in matrix.impact]
        assert grid["labels"] == [f"{n} · {matrix.likelihood_label(n)}" for n in range(5, 0, -1)]
        for (likelihood, impact), cell in grid["cells"].items():
            count = expected.get(title, {}).get((likelihood, impact), 0)
            assert cell.value == count, (title, likelihood, impact)
            # the colour is the cell's band for risks not to people, as on the dashboard
            assert cell.fill.fgColor.rgb[-6:] == matrix.band(likelihood, impact).fill.lstrip("#").upper()


def test_heatmap_sheet_stars_the_cells_the_people_first_rule_lifts(app, clients, register):
    app.config["MATRIX_PRESET"] = "score_thresholds"  # there, (1, 5) scores 5: Medium, unless to people
    ws = workbook(export(clients["executive"]))["Heatmap"]
    grids = _heatmap_grids(ws)
    for title in ("Residual risk · All directions", "Residual risk · To ASM miners"):
        lifted = grids[title]["cells"][1, 5]
        assert lifted.value == 1 and lifted.number_format == '0"*"'  # shows "1*", stays a number
        assert grids[title]["notes"] == [
            "* Likelihood 1 Rare × impact 5 Catastrophic: 1 risk to people is High, not Medium "
            "(people-first rule)."
        ]
        others = [c for key, c in grids[title]["cells"].items() if key != (1, 5)]
        assert all(c.number_format == "General" for c in others)
    assert grids["Residual risk · To the company"]["notes"] == []
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if "to_asm" in t or "to_communities" in t or "to_company" in t]
    assert any("To communities and stakeholders, To ASM miners" in t for t in texts)


def test_heatmap_sheet_counts_bands_per_direction(clients, register):
    rows = list(workbook(export(clients["executive"]))["Heatmap"].iter_rows(values_only=True))
    start = rows.index(("Residual risks per band", None, None, None, None, None, None))
    assert rows[start + 1][:5] == ("Band", "All directions", *(d.label for d in Direction))
    table = {row[0]: row[1:5] for row in rows[start + 2 : start + 6]}
    assert list(table) == ["Extreme", "High", "Medium", "Low"]
    # (3, 3) to the company, (1, 5) to ASM miners: High in the default cell map
    assert table["High"] == (2, 1, 0, 1) and table["Low"] == (1, 1, 0, 0)


def test_a_direction_filter_leaves_one_grid_per_basis(clients, register):
    grids = _heatmap_grids(workbook(export(clients["executive"], "?direction=to_asm"))["Heatmap"])
    assert list(grids) == ["Inherent risk · To ASM miners", "Residual risk · To ASM miners"]


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row(clients, register):
    book = workbook(export(clients["executive"]))
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert "&P" in ws.oddFooter.center.text, ws.title


def test_wrapped_rows_are_as_tall_as_their_text(clients, make_risk, register):
    long = make_risk(title="Long description", description="Pits and shafts. " * 40)  # 680 characters
    data = export(clients["executive"])
    ws = workbook(data)["Register"]
    headers = [c.value for c in ws[1]]
    width = ws.column_dimensions[get_column_letter(headers.index("Description") + 1)].width
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    cell = rows[long.ref][headers.index("Description")]
    assert cell.alignment.wrap_text
    lines = -(-len(cell.value.rstrip()) // int(width))
    assert ws.row_dimensions[cell.row].height >= 15 * lines
    short = rows[register[1]["corporate"].ref][0].row
    assert ws.row_dimensions[short].height is None  # one line: the default height
    assert ws.row_dimensions[1].height >= 30  # the header's two-line labels
    heatmap = workbook(data)["Heatmap"]
    intro = heatmap["A2"]  # a long note across the grid's columns, merged and wrapped
    assert intro.alignment.wrap_text and "A2:G2" in {str(r) for r in heatmap.merged_cells.ranges}
    assert heatmap.row_dimensions[2].height >= 30


def test_row_heights_are_not_kept_in_memory_while_streaming(app):
    from openpyxl import Workbook

    from riskreg.exports.cells import Header, TableSheet

    book = Workbook(write_only=True)
    sheet = TableSheet(book, "T", [Header("Ref", 10), Header("Text", 20, wrap=True)])
    for n in range(50):
        sheet.append([n, "word " * 30])
    assert list(sheet.ws.row_dimensions) == [1]  # the header's; each data row's left with its row
    saved = io.BytesIO()
    book.save(saved)  # a write-only sheet left open would be closed by the garbage collector, badly
    heights = openpyxl_heights(saved.getvalue(), "T")
    assert heights[1] >= 30 and all(heights[n] == 15 * 8 for n in range(2, 52))  # 150 characters / 20


def openpyxl_heights(data: bytes, title: str) -> dict[int, float | None]:
    ws = workbook(data)[title]
    return {row[0].row: ws.row_dimensions[row[0].row].height for row in ws.iter_rows()}


def test_register_has_cause_consequence_target_and_consequence_area(clients, make_risk, register):
    risk = make_risk(
        title="With a target",
        cause="Gold price up",
        consequence="=Fatalities",
        target_likelihood=1,
        target_impact=2,
        target_date=date(2028, 1, 31),
    )
    rows = {row["Ref"]: row for row in register_dicts(export(clients["executive"]))}
    row = rows[risk.ref]
    assert (row["Cause"], row["Consequence"]) == ("Gold price up", "=Fatalities")  # text, not a formula
    assert (row["Target likelihood"], row["Target impact"], row["Target score"]) == (1, 2, 2)
    assert row["Target band"] == "Low" and row["Target date"] == datetime(2028, 1, 31)
    assert row["Consequence area"] == "Social and human rights"  # the label, not the stored key
    untargeted = rows[register[1]["corporate"].ref]
    assert untargeted["Target score"] is None and untargeted["Target band"] is None


def test_sites_sheet_counts_risks_per_band(clients, register, make_site):
    make_site(name="Quiet Site")
    rows = calamine_rows(export(clients["executive"]), "Sites")
    body = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert body["Nyota Gold Mine"]["ASM presence"] == "On site"
    assert body["Nyota Gold Mine"]["Risks"] == 2 and body["Nyota Gold Mine"]["Residual high"] == 2
    assert body["Quiet Site"]["Risks"] == 0
    assert body["Corporate (no single site)"]["Residual low"] == 1


def test_legend_says_who_when_filters_and_the_matrix(clients, users, register):
    data = export(clients["risk_manager"], "?status=open&q=child")
    ws = workbook(data)["Legend"]
    facts = {row[0]: row[1] for row in ws.iter_rows(max_col=2, values_only=True) if row[0]}
    assert users["risk_manager"].name in facts["Exported by"]
    assert isinstance(facts["Exported (UTC)"], datetime)
    assert "Status: Open" in facts["Filters"] and 'text contains "child"' in facts["Filters"]
    assert facts["Risks"] == 1
    matrix = scoring.matrix()
    colour_cells = {
        row[0].value: row[1] for row in ws.iter_rows() if row[0].value in [b.label for b in matrix.bands]
    }
    for band in matrix.bands:
        assert colour_cells[band.label].value == band.colour
        assert colour_cells[band.label].fill.fgColor.rgb[-6:] == band.colour.lstrip("#").upper()
    texts = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v]
    assert all(level.definition in texts for level in matrix.likelihood)


def test_export_takes_the_register_filters(clients, register):
    site, risks = register

    def refs(query: str) -> list[str]:
        return [row[0] for row in calamine_rows(export(clients["executive"], query), "Register")[1:]]

    assert refs(f"?site={site.id}&status=draft") == [risks["draft"].ref]
    assert refs("?site=corporate") == [risks["corporate"].ref]
    assert sorted(refs("?band=high&basis=residual")) == sorted([risks["child"].ref, risks["draft"].ref])
    assert refs("?band=low&basis=residual") == [risks["corporate"].ref]
    assert refs("?direction=to_asm") == [risks["child"].ref]
    controls = calamine_rows(export(clients["executive"], "?site=corporate"), "Controls")
    assert [row[1] for row in controls[1:]] == ["Community liaison"]


def test_bad_filter_is_a_400_naming_the_parameter(clients):
    response = clients["executive"].get("/export.xlsx?band=purple")
    assert response.status_code == 400 and "band" in response.get_data(as_text=True)


def test_download_name_and_headers(clients, register):
    response = clients["executive"].get("/export.xlsx")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=riskreg-register-")
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    response.close()


def test_cli_export_writes_the_same_workbook(runner, register, tmp_path):
    out = tmp_path / "register.xlsx"
    result = runner.invoke(args=["export", "--out", str(out), "--query", "status=draft"])
    assert result.exit_code == 0, result.output
    assert "Wrote 1 risks" in result.output
    rows = calamine_rows(out.read_bytes(), "Register")
    assert [row[1] for row in rows[1:]] == ["Mercury downstream"]
    assert workbook(out.read_bytes()).sheetnames == SHEETS


def test_cli_export_refuses_a_bad_filter_and_writes_nothing(runner, tmp_path):
    out = tmp_path / "register.xlsx"
    result = runner.invoke(args=["export", "--out", str(out), "--query", "status=lost"])
    assert result.exit_code != 0 and "status" in result.output
    assert not out.exists() and not list(tmp_path.glob("*.xlsx*")) and not list(tmp_path.glob(".*partial"))


def test_the_register_page_links_to_export_with_its_filters_and_to_import(clients, register):
    page = clients["executive"].get("/risks?status=draft").get_data(as_text=True)
    assert "/export.xlsx?status=draft" in page and 'href="/import"' not in page
    assert 'href="/import"' in clients["risk_manager"].get("/risks").get_data(as_text=True)
