"""From the keyboard alone: Tab reaches each cell of the dashboard's heatmap (a link named by its
likelihood, impact, count and band), Enter opens the register on that cell; every tab stop on the
main pages shows a focus ring and is in sight (a hidden table's links are not tab stops)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from riskreg import scoring
from tests.browser.site_pages import ROLE_USERS
from tests.browser.test_accessibility import settle
from tests.browser.test_executive_journey import EXECUTIVE, database_cells

pytestmark = pytest.mark.browser

# The focused element: its name, whether a ring is drawn, whether it is in sight. In sight means
# a real box that no ancestor clips away (the visually hidden tables are clipped to nothing).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  let clipped = box.width < 2 || box.height < 2;
  for (let up = el.parentElement; up && !clipped; up = up.parentElement) {
    const s = getComputedStyle(up), b = up.getBoundingClientRect();
    clipped = (s.clip !== 'auto' && s.position === 'absolute')
      || (s.overflow === 'hidden' && (b.width < 2 || b.height < 2));
  }
  return {
    tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || '').trim().slice(0, 60),
    name: el.getAttribute('aria-label') || '', href: el.getAttribute('href') || '',
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    inSight: !clipped, heatmap: !!el.closest('.heatmap-table'),
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def test_tab_reaches_each_heatmap_cell_and_enter_opens_its_risks(browsing, live_server, sign_in):
    page = browsing.page
    sign_in(page, EXECUTIVE)
    page.goto("/dashboard?view=residual")
    page.wait_for_selector("#chart-residual[data-drawn]")
    with live_server.app.app_context():
        matrix = scoring.matrix()
    cells = database_cells(live_server)
    assert cells, "the demo data has no open risk"

    # The last link before the heatmap, then Tab: row by row from likelihood 5, impact 1 to 5.
    page.get_by_role("navigation", name="Scores shown on the heatmap").get_by_role("link").last.focus()
    order = sorted(cells, key=lambda cell: (-cell[0], cell[1]))
    stops = []
    for likelihood, impact in order:
        page.keyboard.press("Tab")
        stop = focused(page)
        assert stop and stop["heatmap"], f"Tab left the heatmap at {stop} before L{likelihood} I{impact}"
        n, band = len(cells[(likelihood, impact)]), matrix.band(likelihood, impact).label
        assert stop["text"] == str(n)
        for words in (f"Likelihood {likelihood}", f"impact {impact}", f"{n} residual risk", f"band {band}"):
            assert words in stop["name"], f"{words!r} not in the cell's name {stop['name']!r}"
        assert stop["ring"] and stop["inSight"], f"the focused cell is not shown with a ring: {stop}"
        stops.append(stop)
    page.keyboard.press("Tab")
    after = focused(page)
    assert after and not after["heatmap"], "the heatmap has more tab stops than cells with risks"
    assert page.locator("#heatmap-residual .chart-table").bounding_box()["width"] <= 2, (
        "the heatmap's table stays shown once focus has left it"
    )

    # Back to the fullest cell, then Enter.
    (likelihood, impact), refs = max(cells.items(), key=lambda item: (len(item[1]), item[0]))
    page.keyboard.press("Shift+Tab")
    for _ in range(len(order) - 1 - order.index((likelihood, impact))):
        page.keyboard.press("Shift+Tab")
    assert focused(page)["name"].startswith(f"Likelihood {likelihood} ")
    browsing.keep("dashboard-heatmap-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    landed = urlsplit(page.url)
    assert landed.path == "/risks"
    query = parse_qs(landed.query)
    assert query["likelihood"] == [str(likelihood)] and query["impact"] == [str(impact)]
    assert set(page.locator("table.register tbody td:first-child a").all_inner_texts()) == refs
    assert browsing.errors == [] and browsing.offsite == []


@pytest.mark.parametrize("path", ["/dashboard", "/risks", "/risks/1", "/controls", "/sites/1", "/me"])
def test_every_tab_stop_shows_a_focus_ring_in_sight(browsing, sign_in, path):
    page = browsing.page
    sign_in(page, ROLE_USERS["risk_manager"])
    page.goto(path)
    settle(page)
    page.locator("body").focus()
    seen, bad = 0, []
    for _ in range(120):  # the first 120 tab stops: the header, the filters, the first rows
        page.keyboard.press("Tab")
        stop = focused(page)
        if stop is None:
            break
        seen += 1
        if not (stop["ring"] and stop["inSight"]):
            bad.append(stop)
    assert seen > 10, f"only {seen} tab stops on {path}"
    assert not bad, f"tab stops on {path} without a ring or out of sight: {bad}"
