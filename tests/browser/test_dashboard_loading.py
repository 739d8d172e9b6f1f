"""How the dashboard loads in Chromium: plotly.js's cartesian bundle (when npm installed it), the
charts on the first screen drawn first and the ones further down drawn later without scrolling."""

from __future__ import annotations

import pytest

from riskreg.assets.sources import CARTESIAN_PLOTLY

EXECUTIVE = "exec@example.com"
TREND = '[data-figure="figure-trend"]'
# Which charts were marked drawn together: the batches of a MutationObserver, one per microtask checkpoint.
RECORD_DRAWING = """
window.drawnBatches = [];
new MutationObserver(records => window.drawnBatches.push(
  records.map(r => r.target.getAttribute('data-figure'))
)).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-drawn']});
"""


@pytest.mark.browser
@pytest.mark.skipif(not CARTESIAN_PLOTLY.is_file(), reason="npm ci has not installed node_modules")
def test_the_dashboard_draws_with_the_cartesian_bundle(browsing, sign_in):
    page = browsing.page
    sign_in(page, EXECUTIVE)
    page.goto("/dashboard")
    page.wait_for_selector("#chart-residual[data-drawn] svg.main-svg")
    traces = page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces)")
    assert {"bar", "heatmap", "scatter"} <= set(traces)
    assert "sankey" not in traces and "scattergeo" not in traces  # the full bundle's, not the cartesian's
    assert browsing.errors == []


@pytest.mark.browser
def test_charts_below_the_first_screen_wait_for_it_and_are_drawn_without_scrolling(browsing, sign_in):
    page = browsing.page
    sign_in(page, EXECUTIVE)
    page.add_init_script(RECORD_DRAWING)
    page.goto("/dashboard")
    page.wait_for_selector("#chart-residual[data-drawn]")
    below = page.evaluate(f"() => document.querySelector('{TREND}').getBoundingClientRect().top")
    assert below > page.viewport_size["height"] + 100, "the trend chart should start below the first screen"
    # Not scrolled to: drawn when the browser is idle, its table kept for screen readers.
    page.wait_for_selector(f"{TREND}[data-drawn] svg.main-svg")
    assert page.evaluate("() => window.scrollY") == 0
    assert page.locator(".trend .figure.charted .trend-table").count() == 1
    batches = page.evaluate("() => window.drawnBatches")
    first = next(n for n, batch in enumerate(batches) if "figure-residual" in batch)
    later = next(n for n, batch in enumerate(batches) if "figure-trend" in batch)
    assert first < later, batches  # the trend in a task of its own, after the first screen
    assert browsing.errors == []
