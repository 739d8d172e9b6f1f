"""The executive's journey: sign in, read the heatmaps, filter, click a High cell, land on exactly
those risks, then export the register to Excel; with every request to another host refused, so the
pages are proved to work offline."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg import scoring
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.sites.models import Site
from tests.browser.words import t, tn
from tests.test_export_workbook import SHEETS  # the workbook's sheets, in order

pytestmark = [pytest.mark.browser, pytest.mark.journey]

EXECUTIVE = "exec@example.com"

# Each number label of a drawn heatmap, placed in its cell by where it sits in the plot area.
DRAWN_COUNTS = """(basis) => {
  const chart = document.querySelector('#chart-' + basis);
  const area = chart.querySelector('.nsewdrag').getBoundingClientRect();
  const found = {};
  for (const label of chart.querySelectorAll('g.heatmap-label text')) {
    const box = label.getBoundingClientRect();
    const impact = Math.floor((box.x + box.width / 2 - area.left) / area.width * 5) + 1;
    const likelihood = 5 - Math.floor((box.y + box.height / 2 - area.top) / area.height * 5);
    found[likelihood + ',' + impact] = label.textContent;
  }
  return found;
}"""


def drawn_counts(page, basis: str) -> dict[tuple[int, int], int]:
    page.wait_for_selector(f"#chart-{basis}[data-drawn] svg.main-svg")
    labels = page.evaluate(DRAWN_COUNTS, basis)
    assert len(labels) == 25, labels
    counts = {tuple(int(v) for v in key.split(",")): int(text.rstrip("*")) for key, text in labels.items()}
    return {cell: n for cell, n in counts.items() if n}


def database_cells(live_server, basis: str = "residual", **where) -> dict[tuple[int, int], set[str]]:
    """Refs of the open risks in each (likelihood, impact) cell, straight from the live database."""
    likelihood, impact = getattr(Risk, f"{basis}_likelihood"), getattr(Risk, f"{basis}_impact")
    stmt = sa.select(likelihood, impact, Risk.ref).where(Risk.status == RiskStatus.OPEN)
    for name, value in where.items():
        stmt = stmt.where(getattr(Risk, name) == value)
    with live_server.session() as session:
        cells: dict[tuple[int, int], set[str]] = {}
        for lk, im, ref in session.execute(stmt):
            cells.setdefault((lk, im), set()).add(ref)
        return cells


def sized(cells: dict[tuple[int, int], set[str]]) -> dict[tuple[int, int], int]:
    return {cell: len(refs) for cell, refs in cells.items()}


def high_cell(live_server) -> tuple[int, str, tuple[int, int]]:
    """A site, a direction and a residual cell coloured High that holds open risks under them."""
    with live_server.app.app_context():
        matrix = scoring.matrix()
    with live_server.session() as session:
        sites = session.execute(sa.select(Site.id, Site.name).order_by(Site.name.desc())).all()
    for site_id, _name in sites:
        for direction in (Direction.TO_COMMUNITIES, Direction.TO_COMPANY, Direction.TO_ASM):
            cells = database_cells(live_server, site_id=site_id, direction=direction)
            for cell in sorted(cells):
                if matrix.band(*cell).key == "high":
                    return site_id, direction.value, cell
    pytest.fail("the demo data has no High residual cell for any one site and direction")


def click_cell(page, basis: str, likelihood: int, impact: int) -> None:
    area = page.locator(f"#chart-{basis} .nsewdrag").bounding_box()
    x = area["x"] + (impact - 0.5) / 5 * area["width"]
    y = area["y"] + (5.5 - likelihood) / 5 * area["height"]
    with page.expect_navigation():
        page.mouse.click(x, y)


def register_refs(live_server) -> set[str]:
    """What the unfiltered register lists: every risk that is not archived."""
    with live_server.session() as session:
        return set(session.scalars(sa.select(Risk.ref).where(Risk.status != RiskStatus.ARCHIVED)))


def export_register(page, folder: Path) -> Path:
    """Click "Export to Excel" and wait for the workbook to arrive."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name=t("Export to Excel")).click()
    download = download_info.value
    assert download.failure() is None
    assert re.fullmatch(r"[\w.-]+\.xlsx", download.suggested_filename), download.suggested_filename
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_executive_reads_the_heatmap_filters_drills_down_and_exports_offline(
    browsing, live_server, sign_in, tmp_path
):
    page = browsing.page
    sign_in(page, EXECUTIVE)
    assert urlsplit(page.url).path == "/me"  # every role lands on "My work"
    with page.expect_navigation():
        page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Dashboard")).click()
    assert urlsplit(page.url).path == "/dashboard"

    assert drawn_counts(page, "inherent") == sized(database_cells(live_server, "inherent"))
    assert drawn_counts(page, "residual") == sized(database_cells(live_server, "residual"))
    page.wait_for_selector('[data-figure="figure-trend"][data-drawn] svg.main-svg')
    assert page.locator(".trend-table thead th").count() >= 3  # the demo history: several months
    browsing.keep("dashboard")

    site_id, direction, (likelihood, impact) = high_cell(live_server)
    page.select_option('select[name="site"]', str(site_id))
    page.select_option('select[name="direction"]', direction)
    with page.expect_navigation():
        page.click('main form[role="search"] button[type="submit"]')  # not the header's search box
    query = parse_qs(urlsplit(page.url).query)
    assert query["site"] == [str(site_id)] and query["direction"] == [direction]
    filtered = database_cells(live_server, site_id=site_id, direction=direction)
    assert drawn_counts(page, "residual") == sized(filtered)

    click_cell(page, "residual", likelihood, impact)
    landed = urlsplit(page.url)
    assert landed.path == "/risks"
    assert parse_qs(landed.query) == {
        "site": [str(site_id)],
        "direction": [direction],
        "status": ["open"],
        "likelihood": [str(likelihood)],
        "impact": [str(impact)],
    }
    shown = set(page.locator("table.register tbody td:first-child a").all_inner_texts())
    assert shown == filtered[(likelihood, impact)]

    # Back to the whole register, and out to Excel.
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Register"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/risks$"))
    many = tn("%(num)d risk", "%(num)d risks", 2).replace("2", r"\d+", 1)
    total = page.get_by_text(re.compile(f"^{many}$"))
    expect(total).to_have_count(1)
    listed = int(re.sub(r"\D", "", total.inner_text()))
    refs = register_refs(live_server)
    assert listed == len(refs)

    workbook = openpyxl.load_workbook(export_register(page, tmp_path))
    try:
        assert workbook.sheetnames == [t(name) for name in SHEETS]
        rows = list(workbook[t("Register")].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert rows[0][0] == t("Ref")
    assert len(rows) - 1 == listed  # one row per risk under the header
    assert {row[0] for row in rows[1:]} == refs

    assert browsing.offsite == [], "the pages asked for something on another host"
    assert browsing.errors == []
