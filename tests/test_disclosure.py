"""The ASM disclosure (GRI MM8 / 14.13): the numbers match the observations, risks and controls;
construction sites are listed but not counted; a manual presence counts for the current year only;
bad years are a 400; the workbook rows; query counts."""

from __future__ import annotations

from datetime import date

import pytest

from riskreg.controls.models import ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.reports.disclosure import disclosure_report, disclosure_sheet_rows
from riskreg.risks.models import Direction, RiskStatus
from riskreg.sites import monitoring
from riskreg.sites.models import AsmPresence, Lifecycle
from tests.asm_helpers import count_queries, make_control, observe
from tests.conftest import text_of

THIS_YEAR = today().year


@pytest.fixture
def estate(make_site, make_risk, users):
    """Five sites: four operating (two with ASM this year), one in construction."""
    on_site = make_site(name="Alpha")
    adjacent = make_site(name="Bravo")
    quiet = make_site(name="Charlie")
    last_year = make_site(name="Delta")
    building = make_site(name="Echo", lifecycle=Lifecycle.CONSTRUCTION)
    jan = date(THIS_YEAR, 1, 1)
    observe(on_site, observed_on=jan, location="on_concession", miners=300)
    observe(on_site, observed_on=jan, location="adjacent", miners=40)
    observe(adjacent, observed_on=jan, location="distant", distance_km=3.0, miners=60)
    observe(quiet, observed_on=jan, location="distant", distance_km=25.0, miners=10)
    observe(quiet, observed_on=jan, location="on_concession", miners=0)
    observe(last_year, observed_on=date(THIS_YEAR - 1, 6, 1), location="on_concession", miners=80)
    observe(building, observed_on=jan, location="on_concession", miners=500)
    risks = {
        "alpha_extreme": make_risk(site_id=on_site.id, residual_likelihood=4, residual_impact=4),
        "alpha_asm": make_risk(
            site_id=on_site.id,
            direction=Direction.TO_ASM,
            category="Human Rights - Security",
            inherent_likelihood=3,
            inherent_impact=5,
            residual_likelihood=1,
            residual_impact=5,
        ),
        "alpha_draft": make_risk(site_id=on_site.id, status=RiskStatus.DRAFT),
        "bravo_low": make_risk(
            site_id=adjacent.id,
            inherent_likelihood=2,
            inherent_impact=2,
            residual_likelihood=1,
            residual_impact=2,
        ),
        "echo": make_risk(site_id=building.id),
        "corporate": make_risk(site_id=None),
    }
    shared = make_control("Shared VPSHR training", risks=[risks["alpha_extreme"], risks["bravo_low"]])
    make_control("Alpha liaison forum", status=ControlStatus.IN_PROGRESS, risks=[risks["alpha_asm"]])
    make_control("Cancelled idea", status=ControlStatus.CANCELLED, risks=[risks["alpha_asm"]])
    make_control("Echo plan", risks=[risks["echo"]])
    make_control("Group policy", status=ControlStatus.IMPLEMENTED, risks=[risks["corporate"]])
    return {"sites": (on_site, adjacent, quiet, last_year, building), "shared": shared}


def test_numbers_match_the_observations_risks_and_controls(estate):
    report = disclosure_report(THIS_YEAR)
    by_name = {line.name: line for line in report.sites}
    assert [line.name for line in report.operating] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert [line.name for line in report.with_asm] == ["Alpha", "Bravo"]
    assert report.percentage == 50.0
    assert (report.count(AsmPresence.ON_SITE), report.count(AsmPresence.ADJACENT)) == (1, 1)
    assert by_name["Charlie"].presence is AsmPresence.NONE and by_name["Charlie"].observations == 2
    assert by_name["Echo"].presence is AsmPresence.ON_SITE and not by_name["Echo"].counted
    assert by_name["Alpha"].max_miners == 300
    assert dict(+by_name["Alpha"].risks) == {("to_company", "extreme"): 1, ("to_asm", "high"): 1}
    assert dict(+by_name["Alpha"].controls) == {"planned": 1, "in_progress": 1}
    assert dict(+report.total.risks) == {
        ("to_company", "extreme"): 1,
        ("to_asm", "high"): 1,
        ("to_company", "low"): 1,
    }
    assert dict(+report.total.controls) == {"planned": 1, "in_progress": 1}  # shared control counted once
    assert dict(+report.corporate.controls) == {"implemented": 1}

    last = disclosure_report(THIS_YEAR - 1)
    assert [line.name for line in last.with_asm] == ["Delta"] and last.percentage == 25.0


def test_a_manual_presence_counts_for_the_current_year_only(estate, users):
    quiet = estate["sites"][2]
    monitoring.set_presence_manually(
        quiet, AsmPresence.ADJACENT, "Camp reported by the community", users["admin"]
    )
    db.session.commit()
    this_year = {line.name: line for line in disclosure_report(THIS_YEAR).sites}
    assert this_year["Charlie"].presence is AsmPresence.ADJACENT
    assert this_year["Charlie"].basis == "Set by hand: Camp reported by the community"
    assert {line.name: line for line in disclosure_report(THIS_YEAR - 1).sites}[
        "Charlie"
    ].presence is AsmPresence.NONE


def test_printable_page_shows_the_same_numbers(estate, clients):
    response = clients["executive"].get(f"/reports/asm-disclosure?year={THIS_YEAR}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        f"2 of 4 operating sites (50.0%) had artisanal and small-scale mining on or adjacent "
        f"to the site in {THIS_YEAR}" in text_of(response)
    )
    assert (
        "css/print.css" in html and 'media="print"' in html and "js/print.js" in html and "data-print" in html
    )
    assert "<script>" not in html  # strict CSP: no inline script
    default = clients["executive"].get("/reports/asm-disclosure")
    assert f"disclosure {THIS_YEAR}" in text_of(default)


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("abc", "four-digit year"),
        ("20255", "four-digit year"),
        ("-2020", "four-digit year"),
        (str(THIS_YEAR + 1), "has not happened yet"),
        ("1999", "2000 or later"),
    ],
)
def test_bad_year_is_a_400(clients, year, message):
    response = clients["executive"].get(f"/reports/asm-disclosure?year={year}")
    assert response.status_code == 400 and message in text_of(response)


def test_sheet_rows(estate):
    sheet = disclosure_sheet_rows(THIS_YEAR)
    headers = sheet.headers
    assert headers[:5] == [
        "Site",
        "Country",
        "Lifecycle",
        "Counted as operating",
        f"ASM on or adjacent in {THIS_YEAR}",
    ]
    assert len(headers) == 8 + 12 + 1 + 4 + 1
    assert [row[0] for row in sheet.sites] == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert [row[3] for row in sheet.sites] == ["Yes", "Yes", "Yes", "Yes", "No"]
    total = sheet.total
    assert total[4] == "2 of 4" and total[headers.index("Open risks")] == 3
    assert (
        total[headers.index("Controls: Planned")] == 1 and total[headers.index("Controls: In progress")] == 1
    )
    assert total[headers.index("Controls")] == 2
    assert sheet.corporate[headers.index("Controls: Implemented")] == 1
    figures = {label: value for label, value, _ in sheet.figures}
    assert figures["Operating sites"] == 4
    assert figures[f"Operating sites with ASM on or adjacent in {THIS_YEAR}"] == 2
    assert figures["Percentage"] == 0.5  # a fraction, shown as a percentage in the workbook
    formats = {label: number_format for label, _, number_format in sheet.figures}
    assert formats["Percentage"] == "0.0%" and formats["Operating sites"] == "0"


def test_query_count_does_not_grow_with_data(clients, make_site, make_risk):
    def queries() -> int:
        with count_queries() as statements:
            assert clients["executive"].get("/reports/asm-disclosure").status_code == 200
        return len(statements)

    site = make_site(name="One")
    observe(site, observed_on=date(THIS_YEAR, 1, 1))
    make_control("First", risks=[make_risk(site_id=site.id)])
    small = queries()
    for number in range(5):
        other = make_site(name=f"More {number}")
        observe(other, observed_on=date(THIS_YEAR, 1, 1))
        make_control(f"Control {number}", risks=[make_risk(site_id=other.id), make_risk(site_id=site.id)])
    assert queries() == small
