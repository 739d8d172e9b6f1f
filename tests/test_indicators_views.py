"""Indicator pages over HTTP: /indicators, thresholds (admins; bad input, nothing written), links by
hand (another site's risk refused), "reviewed, no change" (the owner or a risk manager), the
register filter, the site timeline filter, gaps with "Create from template", the export sheet, the
disclosure report, the daily refresh, CSRF and the query counts of the pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg import audit
from riskreg.auth.models import Role
from riskreg.extensions import db
from riskreg.indicators import queries
from riskreg.indicators.models import Status
from riskreg.modeling import today
from riskreg.sites import monitoring
from tests.asm_helpers import observe
from tests.conftest import statements, text_of
from tests.indicator_support import indicator, load_indicators, open_flags
from tests.xlsx_files import calamine_rows, export


@pytest.fixture
def mine(app, make_site):
    load_indicators()
    site = make_site(name="Nyota Gold Mine")
    observe(site, days_ago=30, miners=120)
    return site


@pytest.fixture
def flagged(mine, make_risk, users):
    """A risk flagged by an influx to 600 miners, owned by the Security head."""
    risk = make_risk(
        title="Gold-rush influx", site_id=mine.id, category="Security & Conflict",
        owner_id=users["department_head"].id,
    )  # fmt: skip
    observe(mine, miners=600)
    assert open_flags(risk)
    return risk


def test_indicators_page_lists_every_indicator_with_status_trend_and_links(clients, mine, flagged):
    page = text_of(clients["executive"].get("/indicators"))
    assert "Nyota Gold Mine" in page and "Miners on the concession" in page
    assert "600 miners Red" in page and "rising (worse)" in page
    assert text_of(clients["executive"].get("/indicators?status=red")).count("Nyota Gold Mine") >= 1
    assert "Observations with mercury use" not in text_of(clients["executive"].get("/indicators?status=red"))
    assert clients["executive"].get("/indicators?status=purple").status_code == 400
    assert clients["executive"].get("/indicators?site=x").status_code == 400
    kri = indicator(mine, "miners_on_concession")
    detail = text_of(clients["executive"].get(f"/indicators/{kri.id}"))
    assert flagged.ref in detail and "rose from 120 to 600" in detail
    assert clients["executive"].get("/indicators/999999").status_code == 404


@pytest.mark.parametrize(
    ("amber", "red", "message"),
    [
        ("lots", "500", "The amber threshold must be a number, not &#39;lots&#39;."),
        ("300", "300", "Red must be above amber"),
        ("300", "-1", "Red must be above amber"),
    ],
)
def test_bad_thresholds_get_a_clear_message_and_nothing_is_written(clients, mine, amber, red, message):
    kri = indicator(mine, "miners_on_concession")
    data = {"amber": amber, "red": red, "owner_id": "", "version": str(kri.version)}
    response = clients["admin"].post(f"/indicators/{kri.id}/edit", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    kri = indicator(mine, "miners_on_concession")
    assert (kri.amber, kri.red, kri.version) == (300, 500, 1)
    assert not [e for e in audit.history("site_indicator", kri.id) if e.action == "update"]


def test_an_admin_tunes_thresholds_and_owner_and_the_status_follows(clients, mine, users, make_risk):
    risk = make_risk(site_id=mine.id, category="Security & Conflict")
    kri = indicator(mine, "miners_on_concession")
    data = {"amber": "50", "red": "100", "owner_id": str(users["risk_manager"].id), "version": "1"}
    for role in ("risk_manager", "department_head", "executive"):
        assert clients[role].post(f"/indicators/{kri.id}/edit", data=data).status_code == 403
    assert indicator(mine, "miners_on_concession").amber == 300
    assert clients["admin"].post(f"/indicators/{kri.id}/edit", data=data).status_code == 302
    kri = indicator(mine, "miners_on_concession")
    assert (kri.amber, kri.red, kri.owner_id, kri.status) == (50, 100, users["risk_manager"].id, Status.RED)
    assert open_flags(risk)
    stale = clients["admin"].post(f"/indicators/{kri.id}/edit", data={**data, "amber": "60"})
    assert "Someone else changed this indicator" in stale.get_data(as_text=True)


def test_linking_a_risk_at_another_site_is_refused(clients, mine, make_site, make_risk):
    other = make_risk(site_id=make_site(name="Rio Seco").id, category="Legal & Regulatory")
    here = make_risk(site_id=mine.id, category="Legal & Regulatory", title="Permit politics")
    kri = indicator(mine, "children_seen")
    response = clients["risk_manager"].post(f"/indicators/{kri.id}/links", data={"risk_id": str(other.id)})
    assert response.status_code == 200 and not queries.hand_linked(kri)
    assert "is not at this indicator&#39;s site" in response.get_data(as_text=True)
    assert (
        clients["executive"].post(f"/indicators/{kri.id}/links", data={"risk_id": str(here.id)}).status_code
        == 403
    )
    assert (
        clients["risk_manager"].post(f"/indicators/{kri.id}/links", data={"risk_id": "x"}).status_code == 200
    )
    ok = clients["risk_manager"].post(f"/indicators/{kri.id}/links", data={"risk_id": str(here.id)})
    assert ok.status_code == 302
    assert here.ref in text_of(clients["executive"].get(f"/indicators/{kri.id}"))
    clients["risk_manager"].post(f"/indicators/{kri.id}/links/{here.id}/delete")
    events = [e.action for e in audit.history("site_indicator", kri.id)]
    assert events[:2] == ["unlink", "link"]


def test_the_owner_records_reviewed_no_change_with_a_note(clients, flagged, make_user, login):
    url = f"/risks/{flagged.id}/review"
    other_head = login(make_user(Role.DEPARTMENT_HEAD, department="Legal"))
    assert other_head.post(url, data={"note": "Fine"}).status_code == 403
    assert clients["executive"].post(url, data={"note": "Fine"}).status_code == 403
    page = clients["department_head"].post(url, data={"note": ""}, follow_redirects=True)
    assert "Say in a note why the risk stays as it is." in page.get_data(as_text=True) and open_flags(flagged)
    response = clients["department_head"].post(url, data={"note": "Patrols doubled; score holds."})
    assert response.status_code == 302 and not open_flags(flagged)
    db.session.refresh(flagged)
    assert flagged.next_review_date == today() + timedelta(days=flagged.residual_band.review_days)
    history = text_of(clients["executive"].get(f"/risks/{flagged.id}"))
    assert "Reviewed, no change: Patrols doubled; score holds." in history


def test_the_register_filter_flagged_is_strict(clients, flagged, make_risk):
    calm = make_risk(title="Calm corporate risk")
    yes = text_of(clients["executive"].get("/risks?flagged=yes"))
    assert flagged.ref in yes and calm.ref not in yes and "Review: Miners on the concession" in yes
    no = text_of(clients["executive"].get("/risks?flagged=no"))
    assert calm.ref in no and flagged.ref not in no
    for bad in ("maybe", "1", "YES"):
        response = clients["executive"].get(f"/risks?flagged={bad}")
        assert response.status_code == 400 and "flagged" in response.get_data(as_text=True)
    data = export(clients["executive"], "?flagged=yes")
    refs = [row[0] for row in calamine_rows(data, "Register")[1:]]
    assert refs == [flagged.ref]


def timeline_of(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    section = html.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_the_site_timeline_filters_by_kind_flag_and_dates_on_the_server(clients, mine, flagged):
    observe(mine, days_ago=200, miners=40, notes="Old patrol.")
    observe(mine, days_ago=3, miners=610, children_seen=True, notes="Children at the pits.")
    base = f"/sites/{mine.id}"
    everything = timeline_of(clients["executive"].get(base))
    assert "Old patrol." in everything and "Trigger: red" in everything
    children = timeline_of(clients["executive"].get(base + "?flag=children"))
    assert "Children at the pits." in children and "Old patrol." not in children
    triggers = timeline_of(clients["executive"].get(base + "?kind=trigger"))
    assert "Trigger: red" in triggers and "Children at the pits." not in triggers
    since = (today() - timedelta(days=10)).isoformat()
    recent = timeline_of(clients["executive"].get(base + f"?kind=observation&from={since}"))
    assert "Children at the pits." in recent and "Old patrol." not in recent
    until = (today() - timedelta(days=100)).isoformat()
    old = timeline_of(clients["executive"].get(base + f"?to={until}"))
    assert "Old patrol." in old and "Children at the pits." not in old and "Trigger:" not in old
    for bad in ("kind=rumour", "flag=x", "from=2026-13-01", "from=20260101", "from=2026-02-01&to=2026-01-01"):
        assert clients["executive"].get(f"{base}?{bad}").status_code == 400, bad


def test_site_page_charts_gaps_and_create_from_template(clients, mine):
    observe(mine, miners=50, children_seen=True, notes="Children seen.")
    response = clients["risk_manager"].get(f"/sites/{mine.id}")
    html = response.get_data(as_text=True)
    kri = indicator(mine, "children_seen")
    assert f'id="figure-kri-{kri.id}"' in html and "plotly.min.js" in html and "<script>" not in html
    link = f"/risks/new?template=B04&amp;site={mine.id}&amp;indicator={kri.id}"
    assert link in html and "Signals without a risk" in text_of(response)
    form = clients["risk_manager"].get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Evidence from monitoring: Observations with children seen: 1 over the last 180 days" in form
    assert f'<option selected value="{mine.id}">' in form or f'value="{mine.id}" selected' in form
    wrong = clients["risk_manager"].get(f"/risks/new?template=B04&indicator={kri.id}")
    assert wrong.status_code == 400
    dashboard = text_of(clients["executive"].get("/dashboard"))
    assert "Signals without a risk" in dashboard and "Create from template B04" not in dashboard  # read-only
    assert "Create from template B04" in text_of(clients["risk_manager"].get("/dashboard"))


def test_a_matching_open_risk_closes_the_gap(clients, mine, make_risk):
    observe(mine, miners=50, children_seen=True)
    make_risk(title="Child labour", site_id=mine.id, category="Human Rights - Labour", template_code="B04")
    assert "Create from template B04" not in text_of(clients["risk_manager"].get(f"/sites/{mine.id}"))


def test_the_workbook_has_an_indicators_sheet_after_the_first_seven(clients, mine, flagged):
    data = export(clients["executive"])
    rows = calamine_rows(data, "Indicators")
    header = rows[0]
    assert header[:5] == ["Site", "Indicator", "Value", "Unit", "Status"]
    influx = next(r for r in rows[1:] if r[1] == "Miners on the concession")
    assert influx[2] == 600 and influx[4] == "Red" and influx[5] == 300 and influx[6] == 500
    assert "rose from 120 to 600" in influx[11] and influx[12] == flagged.ref


def test_the_disclosure_report_shows_signals_and_their_triggers(clients, flagged):
    page = text_of(clients["executive"].get("/reports/asm-disclosure"))
    assert "Monitoring signals" in page and "Miners on the concession rose from 120 to 600" in page


def test_daily_refresh_moves_time_based_indicators(app, runner, make_site):
    load_indicators()
    site = make_site()
    observe(site, days_ago=95, miners=10)
    kri = indicator(site, "days_since_observation")
    assert kri.value == 95 and kri.status is Status.RED  # recomputed with the observation
    db.session.execute(sa.update(type(kri)).values(status=Status.GREEN, value=0))
    db.session.commit()
    result = runner.invoke(args=["indicators", "refresh"])
    assert result.exit_code == 0 and "RED: Days since the last observation rose from 0 to 95" in result.output
    assert indicator(site, "days_since_observation").status is Status.RED


def test_forms_need_the_csrf_token(csrf_app, make_site, make_user, make_risk):
    load_indicators()
    admin = make_user(Role.ADMIN)
    site = make_site()
    observe(site, miners=10)
    kri = indicator(site, "miners_on_concession")
    client = csrf_app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login", data={"email": admin.email, "password": "correct horse battery staple", "csrf_token": token}
    )
    response = client.post(f"/indicators/{kri.id}/edit", data={"amber": "1", "red": "2", "version": "1"})
    assert response.status_code == 400 and indicator(site, "miners_on_concession").amber == 300


def test_page_queries_do_not_grow_with_risks_or_indicators(clients, mine, flagged, make_risk, make_site):
    def count(url: str) -> int:
        with statements(sql_only=True) as seen:
            assert clients["executive"].get(url).status_code == 200
        return len(seen)

    observe(mine, miners=600, children_seen=True)  # a gap, flags and triggers are there already
    urls = ["/indicators", f"/sites/{mine.id}", "/dashboard", "/risks?flagged=yes"]
    count("/dashboard")  # the first view of the month keeps the band snapshot
    before = {url: count(url) for url in urls}
    for i in range(30):
        make_risk(title=f"Risk {i}", site_id=mine.id, category="Security & Conflict")
    other = make_site()
    observe(other, miners=900, children_seen=True)
    observe(mine, miners=900, security_incident=True, mercury_use="observed")
    assert {url: count(url) for url in urls} == before


def test_trigger_mail_goes_after_the_commit_and_never_after_a_rollback(app, mine, users, smtp):  # noqa: F811
    kri = indicator(mine, "miners_on_concession")
    kri.owner_id = users["executive"].id
    db.session.commit()
    values = {"observed_on": today(), "location": "on_concession", "miners_estimate": 900}
    values |= {"activity_type": "alluvial", "source": "patrol"}
    monitoring.add_observation(mine, dict(values), users["risk_manager"])
    assert smtp.messages == []  # queued, not sent: nothing is committed yet
    db.session.rollback()
    assert smtp.messages == [] and indicator(mine, "miners_on_concession").status is Status.GREEN
    monitoring.add_observation(mine, dict(values), users["risk_manager"])
    db.session.commit()
    mails = smtp.to(users["executive"].email)
    assert len(mails) == 1 and "Miners on the concession rose from 120 to 900" in mails[0].get_content()
    assert "riskreg: review needed at Nyota Gold Mine: Miners on the concession is red" in mails[0]["Subject"]
