"""/dashboard: counts per cell and band, drill-down to exactly those risks, filters and bad input."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from riskreg import scoring
from riskreg.controls.models import Control, ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import services as risk_services
from riskreg.risks.models import Direction, RiskStatus
from tests.conftest import department_id, text_of
from tests.dashboard_pages import cells, counts, figures, page, register_refs


def add_control(department: str, status: ControlStatus, due_in_days: int | None, risks=()) -> Control:
    control = Control(
        title=f"{department} control",
        department_id=department_id(department),
        status=status,
        due_date=None if due_in_days is None else today() + timedelta(days=due_in_days),
    )
    control.risks = list(risks)
    db.session.add(control)
    db.session.commit()
    return control


def scores(inherent: tuple[int, int], residual: tuple[int, int]) -> dict[str, int]:
    return {
        "inherent_likelihood": inherent[0],
        "inherent_impact": inherent[1],
        "residual_likelihood": residual[0],
        "residual_impact": residual[1],
    }


@pytest.fixture
def register(make_risk, make_site, users):
    """A small register whose every count is known."""
    north, south = make_site(name="North Pit"), make_site(name="South Camp")
    r = {
        "a": make_risk(site_id=north.id, **scores((4, 4), (3, 3)), target_likelihood=2, target_impact=2),
        "b": make_risk(
            site_id=north.id,
            **scores((4, 4), (2, 4)),
            direction=Direction.TO_COMMUNITIES,
            category="Human Rights - Security",
        ),
        "c": make_risk(site_id=south.id, **scores((5, 5), (3, 3)), direction=Direction.TO_ASM),
        "d": make_risk(**scores((2, 3), (1, 1)), next_review_date=today() - timedelta(days=3)),
        "closed": make_risk(site_id=north.id, **scores((4, 4), (3, 3)), status=RiskStatus.CLOSED),
        "archived": make_risk(site_id=north.id, **scores((4, 4), (3, 3))),
    }
    risk_services.archive_risk(r["archived"], users["risk_manager"])
    db.session.commit()
    add_control("Security", ControlStatus.PLANNED, -5, [r["a"]])  # overdue
    add_control("Security", ControlStatus.VERIFIED, -30, [r["a"], r["b"]])
    add_control("Environment", ControlStatus.IN_PROGRESS, 10, [r["c"]])
    add_control("Environment", ControlStatus.CANCELLED, -10, [r["c"]])
    return {"risks": r, "north": north, "south": south}


def test_counts_per_cell_and_band_for_open_risks(clients, register):
    text = page(clients["executive"].get("/dashboard"))
    assert counts(text, "inherent") == {(4, 4): 2, (5, 5): 1, (2, 3): 1}
    assert counts(text, "residual") == {(3, 3): 2, (2, 4): 1, (1, 1): 1}
    band_rows = dict(re.findall(r'<tr data-band="(\w+)">.*?</th>\s*<td>(.*?)</td>', text, re.S))
    assert {k: re.sub(r"<[^>]+>", "", v) for k, v in band_rows.items()} == {
        "extreme": "3",  # inherent: (4,4) x2 and (5,5)
        "high": "0",
        "medium": "1",  # (2,3)
        "low": "0",
    }
    page_text = text_of(clients["executive"].get("/dashboard"))
    assert "Past their review date 1 open or draft risk" in page_text
    # completion: verified 1 of 3 not cancelled; overdue: the planned Security control
    assert "33% implemented or verified (1 of 3 controls" in page_text
    assert "North Pit" not in page_text.split("Sites with ASM")[1].split("Top")[0]


def test_each_cell_links_to_exactly_its_risks(clients, register):
    client = clients["executive"]
    text = page(client.get("/dashboard?site=" + str(register["north"].id)))
    refs = {key: risk.ref for key, risk in register["risks"].items()}
    seen = 0
    for basis in ("inherent", "residual"):
        for (lk, im), cell in cells(text, basis).items():
            if not cell["count"]:
                assert cell["href"] is None
                continue
            args = parse_qs(urlsplit(cell["href"]).query)
            assert args["likelihood"] == [str(lk)] and args["impact"] == [str(im)]
            assert args["status"] == ["open"] and args["site"] == [str(register["north"].id)]
            landed = register_refs(client, cell["href"])
            assert len(landed) == cell["count"]
            assert landed <= {refs["a"], refs["b"]}  # open, at North Pit
            seen += cell["count"]
    assert seen == 4  # two risks, each in one inherent and one residual cell


def test_figure_matches_the_table(clients, register):
    text = page(clients["executive"].get("/dashboard"))
    figure = figures(text)["figure-residual"]
    trace = figure["data"][0]
    assert figure["layout"]["dragmode"] is False
    assert figure["layout"]["xaxis"]["title"]["text"] == "Impact"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Likelihood"
    table = cells(text, "residual")
    for y, lk in enumerate(trace["y"]):
        for x, im in enumerate(trace["x"]):
            assert trace["text"][y][x].rstrip("*") == str(table[(lk, im)]["count"])
            assert trace["customdata"][y][x] == table[(lk, im)]["href"]


def test_people_first_rule_is_counted_and_said(app, clients, make_risk):
    app.config["MATRIX_PRESET"] = "score_thresholds"  # there, (1, 5) scores 5: Medium, unless to people
    make_risk(residual_likelihood=1, residual_impact=5, direction=Direction.TO_COMPANY)
    people = make_risk(residual_likelihood=1, residual_impact=5, direction=Direction.TO_ASM)
    client = clients["executive"]
    text = page(client.get("/dashboard?view=residual"))
    cell = cells(text, "residual")[(1, 5)]
    assert cell["count"] == 2
    assert "Medium" in cell["text"] and "1 to people: High" in cell["text"]
    assert figures(text)["figure-residual"]["data"][0]["text"][0][4] == "2*"
    assert "people-first rule" in text_of(client.get("/dashboard?view=residual"))
    band_links = dict(re.findall(r'<tr data-band="(\w+)">.*?</td>\s*<td>(?:<a href="([^"]+)")?', text, re.S))
    high = band_links["high"].replace("&amp;", "&")
    assert register_refs(client, high) == {people.ref}
    assert len(register_refs(client, cell["href"])) == 2


def test_target_view_counts_scored_risks_and_says_how_many_are_not(clients, make_risk):
    with_target = make_risk(target_likelihood=1, target_impact=2)
    make_risk()  # no target
    client = clients["executive"]
    text = page(client.get("/dashboard?view=target"))
    assert counts(text, "target") == {(1, 2): 1}
    assert "1 risk has no target score yet" in text_of(client.get("/dashboard?view=target"))
    href = cells(text, "target")[(1, 2)]["href"]
    assert "basis=target" in href and register_refs(client, href) == {with_target.ref}
    assert "heatmap-inherent" not in text


def test_filters_narrow_every_number_and_stay_in_links(clients, register):
    client = clients["executive"]
    north = register["north"].id
    text = page(client.get(f"/dashboard?site={north}&direction=to_communities"))
    assert counts(text, "residual") == {(2, 4): 1}
    assert f'<option value="{north}" selected>' in text
    assert all(f"site={north}" in c["href"] for c in cells(text, "residual").values() if c["href"])
    switch = re.search(r'href="([^"]*view=target[^"]*)"', text).group(1)
    assert f"site={north}" in switch and "direction=to_communities" in switch

    assert counts(page(client.get("/dashboard?status=all")), "residual")[(3, 3)] == 3  # the closed one too
    assert counts(page(client.get("/dashboard?status=closed")), "residual") == {(3, 3): 1}
    assert counts(page(client.get("/dashboard?category=Human+Rights+-+Security")), "residual") == {(2, 4): 1}
    security = department_id("Security")
    text = page(client.get(f"/dashboard?department={security}"))
    assert counts(text, "residual") == {(3, 3): 1, (2, 4): 1}  # risks a and b have Security controls
    assert "50% implemented or verified (1 of 2 controls" in text_of(
        client.get(f"/dashboard?department={security}")
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("site=abc", "Filter &#39;site&#39; must be a whole number"),
        ("site=999", "no site with id 999"),
        ("department=999", "no department with id 999"),
        ("direction=sideways", "Filter &#39;direction&#39; must be one of"),
        ("category=Nope", "Filter &#39;category&#39; must be one of"),
        ("status=bogus", "status=all"),
        ("view=3d", "Filter &#39;view&#39; must be one of"),
        ("likelihood=3", "no filter called &#39;likelihood&#39;"),
        ("owner=1", "no filter called &#39;owner&#39;"),
    ],
)
def test_bad_filters_are_a_clear_400(clients, query, message):
    response = clients["executive"].get(f"/dashboard?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["likelihood=6&impact=1", "impact=0", "basis=future", "likelihood=x"])
def test_out_of_range_cells_on_the_drill_down_are_a_400(clients, query):
    response = clients["executive"].get(f"/risks?{query}")
    assert response.status_code == 400 and "Filter" in response.get_data(as_text=True)


def test_empty_register_gives_an_empty_heatmap_and_says_why(clients):
    response = clients["risk_manager"].get("/dashboard")
    text = page(response)
    assert counts(text, "inherent") == {} and counts(text, "residual") == {}
    assert all(c["href"] is None for c in cells(text, "residual").values())
    words = text_of(response)
    assert "The register has no open risks yet" in words and "New risk" in words
    assert "No controls yet" in words and "No risks to rank" in words
    filtered = text_of(clients["executive"].get("/dashboard?direction=to_asm"))
    assert "No risks match these filters" in filtered


def test_plotly_is_served_locally_with_long_cache_headers(clients):
    client = clients["executive"]
    text = page(client.get("/dashboard"))
    link = r'<script defer src="(/dashboard/plotly\.min\.js\?v=[0-9a-f]{16})"></script>'  # its content hash
    src = re.search(link, text).group(1)
    response = client.get(src)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert len(response.get_data()) > 1_000_000
    assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.public
    assert response.headers["ETag"]
    response.close()
    again = client.get(src, headers={"If-None-Match": response.headers["ETag"]})
    again.close()
    assert again.status_code == 304


def test_every_chart_is_a_trace_type_of_the_cartesian_bundle(clients, register):
    add_control("Security", ControlStatus.PLANNED, -5, [register["risks"]["a"]])
    drawn = figures(page(clients["executive"].get("/dashboard?view=compare")))
    assert {"figure-inherent", "figure-residual", "figure-overdue"} <= drawn.keys()
    kinds = {trace["type"] for figure in drawn.values() for trace in figure["data"]}
    assert kinds <= {"bar", "heatmap", "scatter"}  # riskreg.assets.sources: what the bundle draws


def test_page_loads_nothing_from_another_host_and_runs_no_inline_script(clients, register):
    response = clients["executive"].get("/dashboard")
    text = page(response)
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", text)
    assert "http://" not in text and "https://" not in text
    for tag in re.findall(r"<script[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_top_risks_are_ranked_by_band_then_score_with_owners(clients, make_risk, users):
    extreme = make_risk(residual_likelihood=2, residual_impact=5, title="Unlikely but catastrophic")
    high = make_risk(residual_likelihood=4, residual_impact=3, title="Likely, moderate")
    for _ in range(10):
        make_risk(residual_likelihood=1, residual_impact=1)
    text = page(clients["executive"].get("/dashboard"))
    section = text[text.index("Top 10 residual risks") :]
    cell = r"<td[^>]*>(.*?)</td>"
    rows = re.findall(r'<tr><td[^>]*><a href="/risks/\d+">(R-\d+)</a></td>' + cell * 4, section)
    assert [ref for ref, *_ in rows[:2]] == [extreme.ref, high.ref]  # band first: 10 Extreme beats 12 High
    assert len(rows) == 10
    assert rows[0][1:] == (
        "Unlikely but catastrophic",
        "To the company",
        "Corporate",
        users["risk_manager"].name,
    )


def toggle_links(text: str) -> dict[str, tuple[str, bool]]:
    """The direction toggle: {data-direction: (href, is the current one)}."""
    nav = text[text.index('class="direction-switch"') :]
    nav = nav[: nav.index("</nav>")]
    found = re.findall(r'<a href="([^"]+)" data-direction="(\w+)" ?(aria-current="page")?>', nav)
    return {key: (html.unescape(href), bool(current)) for href, key, current in found}


def direction_table(text: str) -> dict[str, dict[str, tuple[int, str | None]]]:
    """{band: {direction: (count, register link or None)}} of the per-direction band table."""
    table: dict[str, dict[str, tuple[int, str | None]]] = {}
    for band, row in re.findall(r'<tr data-direction-band="(\w+)">(.*?)</tr>', text, re.S):
        table[band] = {}
        for direction, inner in re.findall(r'<td data-direction="(\w+)"[^>]*>(.*?)</td>', row, re.S):
            link = re.search(r'href="([^"]+)"', inner)
            count = int(re.sub(r"<[^>]+>", "", inner))
            table[band][direction] = (count, html.unescape(link.group(1)) if link else None)
    return table


def test_the_direction_toggle_narrows_the_heatmaps_and_keeps_the_drill_down(clients, register):
    client = clients["executive"]
    north = register["north"].id
    links = toggle_links(page(client.get(f"/dashboard?site={north}&view=residual")))
    assert list(links) == ["all", "to_company", "to_communities", "to_asm"]
    assert links["all"][1] and not any(current for key, (_, current) in links.items() if key != "all")
    href, _ = links["to_communities"]
    assert parse_qs(urlsplit(href).query) == {
        "site": [str(north)],
        "direction": ["to_communities"],
        "view": ["residual"],
    }
    text = page(client.get(href))
    assert toggle_links(text)["to_communities"][1]
    assert (
        "direction=" not in toggle_links(text)["all"][0] and f"site={north}" in toggle_links(text)["all"][0]
    )
    assert counts(text, "residual") == {(2, 4): 1}
    cell = cells(text, "residual")[(2, 4)]
    assert parse_qs(urlsplit(cell["href"]).query)["direction"] == ["to_communities"]
    assert register_refs(client, cell["href"]) == {register["risks"]["b"].ref}
    assert "To communities and stakeholders" in text_of(client.get(href)).split("ASM risk dashboard")[1][:200]


def test_band_counts_per_direction_link_to_their_risks(clients, register):
    matrix = scoring.matrix()
    client = clients["executive"]
    r = register["risks"]
    expected: dict[tuple[str, str], set[str]] = {}
    for key in ("a", "b", "c", "d"):  # the open ones
        risk = r[key]
        band = matrix.band(risk.residual_likelihood, risk.residual_impact, risk.direction).key
        expected.setdefault((band, risk.direction.value), set()).add(risk.ref)
    for query in ("", "?direction=to_asm"):  # the table shows every direction, whatever the toggle
        text = page(client.get(f"/dashboard{query}"))
        table = direction_table(text)
        assert list(table) == [band.key for band in reversed(matrix.bands)]
        for band, row in table.items():
            assert list(row) == [d.value for d in Direction]
            for direction, (count, href) in row.items():
                refs = expected.get((band, direction), set())
                assert count == len(refs), (band, direction)
                if count:
                    assert register_refs(client, href) == refs
                else:
                    assert href is None
    current = re.findall(
        r'<td data-direction="(\w+)" class="current">', page(client.get("/dashboard?direction=to_asm"))
    )
    assert set(current) == {"to_asm"}


def test_the_band_table_by_direction_applies_the_people_first_rule(app, clients, make_risk):
    app.config["MATRIX_PRESET"] = "score_thresholds"  # there, (1, 5) scores 5: Medium, unless to people
    make_risk(residual_likelihood=1, residual_impact=5, direction=Direction.TO_COMPANY)
    make_risk(residual_likelihood=1, residual_impact=5, direction=Direction.TO_COMMUNITIES)
    table = direction_table(page(clients["executive"].get("/dashboard")))
    assert table["medium"]["to_company"][0] == 1 and table["high"]["to_company"][0] == 0
    assert table["high"]["to_communities"][0] == 1 and table["medium"]["to_communities"][0] == 0


def test_the_top_ten_show_their_direction(clients, register):
    text = text_of(clients["executive"].get("/dashboard"))
    top = text[text.index("residual risks Ref Risk Direction Site Owner Residual") :]
    assert "To communities" in top and "To ASM" in top and "To the company" in top


def test_links_filled_into_one_url_per_kind_match_url_for(app):
    from flask import url_for
    from werkzeug.datastructures import MultiDict

    from riskreg.dashboard.filters import parse_dashboard_filters

    with app.test_request_context():
        dash = parse_dashboard_filters(MultiDict({"category": "Closure & Legacy", "status": "all"}))
        for basis in ("inherent", "target"):
            for likelihood, impact in ((1, 5), (4, 2)):
                direct = url_for(
                    "risks.list", **dash.register_args(basis, likelihood=likelihood, impact=impact)
                )
                assert dash.cell_url(basis, likelihood, impact) == direct
            # a band key url_for would encode is built as it is, not filled in
            for band in ("high", "very high", "élevé"):
                assert dash.band_url(basis, band) == url_for(
                    "risks.list", **dash.register_args(basis, band=band)
                )
                assert dash.direction_band_url(Direction.TO_ASM, band, basis) == url_for(
                    "risks.list", **dash.register_args(basis, band=band, direction="to_asm")
                )


def test_the_dashboards_own_links_are_url_fors_built_once_per_page(app):
    """dash.url (the view tabs, the direction switch): what url_for writes, for awkward values too."""
    from flask import url_for
    from werkzeug.datastructures import MultiDict

    from riskreg.dashboard.filters import parse_dashboard_filters
    from riskreg.risks.models import Direction

    cases = [
        {},
        {"category": "Land Access & Tenure", "site": "2", "view": "inherent"},
        {"site": "corporate", "status": "all", "direction": "to_asm"},
        {"category": "Health & Safety", "department": "3", "view": "target"},
    ]
    with app.test_request_context("/dashboard"):
        for args in cases:
            dash = parse_dashboard_filters(MultiDict(args))
            for view in ("compare", "inherent", "residual", "target"):
                assert dash.url(view=view) == url_for("dashboard.index", **dash.args(view=view))
            for direction in (None, *Direction):
                value = direction.value if direction else None
                expected = url_for("dashboard.index", **dash.args(direction=value))
                assert dash.direction_url(direction) == expected
        assert dash.url(view="target") != dash.url(view="inherent")
