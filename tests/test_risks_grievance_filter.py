"""The register's grievance filter: risks linked to any, an open or a severe grievance, on /risks and
/export.xlsx alike; a bad value is a 400 that names the filter."""

from __future__ import annotations

import pytest

from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.modeling import today
from riskreg.risks.filters import RiskFilters
from riskreg.risks.queries import register_page
from tests.conftest import text_of
from tests.grievance_support import new_grievance
from tests.xlsx_files import export, register_dicts, workbook


@pytest.fixture
def linked(users, make_site, make_risk):
    """Four risks: one linked to a closed, mild grievance, one to an open mild one, one to an open
    severe one (a human-rights impact alleged, severity not assessed), one to none."""
    site = make_site()
    actor = users["risk_manager"]
    closed, open_mild, severe, alone = (
        make_risk(site_id=site.id, title=t) for t in ("Closed", "Open", "Severe", "None")
    )
    done = new_grievance(site, actor, severity=2)
    for step in ("acknowledged", "under_investigation", "response_proposed", "resolved", "closed"):
        services.take_step(done, step, today(), actor, response="Fenced the pits.")
    new_grievance(site, actor, severity=3)  # open, linked to nothing
    mild = new_grievance(site, actor, severity=3)
    hurt = new_grievance(site, actor, severity=None, human_rights_impact=True)
    for grievance, risk in ((done, closed), (mild, open_mild), (hurt, severe)):
        services.link_risk(grievance, risk.ref, actor)
    db.session.commit()
    return {"closed": closed.ref, "open": open_mild.ref, "severe": severe.ref, "none": alone.ref}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("any", {"closed", "open", "severe"}), ("open", {"open", "severe"}), ("severe", {"severe"})],
)
def test_the_register_and_the_export_keep_the_risks_of_such_grievances(clients, linked, value, expected):
    client = clients["executive"]
    page = text_of(client.get(f"/risks?grievance={value}"))
    shown = {key for key, ref in linked.items() if ref in page}
    assert shown == expected
    data = export(client, f"?grievance={value}")
    assert {row["Ref"] for row in register_dicts(data)} == {linked[key] for key in expected}
    facts = {
        row[0]: row[1] for row in workbook(data)["Legend"].iter_rows(max_col=2, values_only=True) if row[0]
    }
    words = {"any": "a grievance", "open": "an open grievance", "severe": "a severe grievance"}[value]
    assert f"linked to {words}" in facts["Filters"].lower()


def test_the_severity_threshold_comes_from_the_setting(app, clients, linked):
    app.config["GRIEVANCE_SEVERE_LEVEL"] = 3  # now the open mild one (severity 3) is severe too
    page = text_of(clients["executive"].get("/risks?grievance=severe"))
    assert linked["open"] in page and linked["severe"] in page and linked["closed"] not in page


def test_the_page_offers_the_filter_and_keeps_it_in_its_links(clients, linked):
    html = clients["executive"].get("/risks?grievance=open").get_data(as_text=True)
    assert '<option value="open" selected>' in html
    assert "grievance=open" in html.split('href="/export.xlsx', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("url", ["/risks?grievance=closed", "/export.xlsx?grievance=1"])
def test_a_bad_value_is_a_clear_400(clients, url):
    response = clients["executive"].get(url)
    assert response.status_code == 400
    assert "grievance" in text_of(response) and "must be one of any, open, severe" in text_of(response)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("any", {"closed", "open", "severe"}), ("open", {"open", "severe"}), ("severe", {"severe"})],
)
def test_the_total_and_band_counts_count_only_those_risks(linked, value, expected):
    page = register_page(RiskFilters(grievance=value), 1, 50)
    assert {risk.ref for risk in page.risks} == {linked[key] for key in expected}
    assert page.total == sum(page.band_counts.values()) == len(expected)
