"""Grievances received per month and category: a Plotly figure drawn by the app's own static script
(no inline code, the strict CSP kept), with the table as its accessible fallback; on /grievances and
on the dashboard's panel."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from riskreg.grievances import queries
from riskreg.grievances.charts import per_month_figure
from riskreg.modeling import today
from tests.grievance_support import new_grievance

FIGURE = re.compile(r'<script type="application/json" id="figure-grievances">(.*?)</script>', re.S)


def three_grievances(site, actor):
    """Two land grievances and one on water this month, one on water a month earlier."""
    first = today().replace(day=1)
    for category, on in (("land", first), ("land", first), ("water", first - timedelta(days=1))):
        new_grievance(site, actor, category=category, received_on=on)
    return first.strftime("%Y-%m"), (first - timedelta(days=1)).strftime("%Y-%m")


def test_the_figure_stacks_each_category_per_month(users, make_site):
    site = make_site()
    this_month, last_month = three_grievances(site, users["admin"])
    figure = per_month_figure(queries.kpis(queries.GrievanceFilters(site=site.id)))
    assert figure["layout"]["barmode"] == "stack"
    bars = {trace["name"]: dict(zip(trace["x"], trace["y"], strict=True)) for trace in figure["data"]}
    assert bars == {"Land": {last_month: 0, this_month: 2}, "Water": {last_month: 1, this_month: 0}}
    assert [trace["type"] for trace in figure["data"]] == ["bar", "bar"]


def scripts_of(html: str) -> list[str]:
    """Every <script> of the page that is code (not a JSON data block)."""
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if 'type="application/json"' not in tag]


def test_the_grievances_page_charts_and_keeps_the_table(clients, users, make_site):
    site = make_site()
    this_month, last_month = three_grievances(site, users["admin"])
    response = clients["executive"].get(f"/grievances?site={site.id}")
    html = response.get_data(as_text=True)
    figure = json.loads(FIGURE.search(html).group(1))
    assert sum(sum(trace["y"]) for trace in figure["data"]) == 3
    assert 'data-figure="figure-grievances"' in html
    table = html.split('<div class="chart-table"><table class="per-month">', 1)[1].split("</table>", 1)[0]
    assert "<caption>Received per month and category</caption>" in table
    assert re.search(rf"<th scope=\"row\">{this_month}</th><td>2</td><td>0</td><td>2</td>", table)
    assert re.search(rf"<th scope=\"row\">{last_month}</th><td>0</td><td>1</td><td>1</td>", table)
    scripts = scripts_of(html)
    assert scripts and all(re.search(r'src="/', tag) for tag in scripts)  # the app's own files only
    assert any("/static/js/dashboard.js" in tag for tag in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in response.headers["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0]
    )


def test_a_page_without_grievances_has_no_chart_and_no_plotly(clients, make_site):
    html = clients["executive"].get("/grievances").get_data(as_text=True)
    assert "figure-grievances" not in html and "plotly" not in html.lower()


def test_the_dashboard_panel_charts_this_years_grievances(clients, users, make_site):
    site = make_site()
    three_grievances(site, users["admin"])
    html = clients["executive"].get("/dashboard").get_data(as_text=True)
    panel = html.split('id="grievances"', 1)[1].split("</section>", 1)[0]
    figure = json.loads(FIGURE.search(panel).group(1))
    last_day_before = today().replace(day=1) - timedelta(days=1)
    expected = 3 if last_day_before.year == today().year else 2  # the panel is this year's
    assert sum(sum(trace["y"]) for trace in figure["data"]) == expected
    assert '<table class="per-month">' in panel and "Received per month and category" in panel
