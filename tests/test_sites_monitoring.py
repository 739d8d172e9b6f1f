"""Site ASM monitoring: observations, presence from observations (window, adjacency), the manual
override with its audit trail, the stale flag, the /sites aggregates and bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Direction, RiskStatus
from riskreg.sites import monitoring
from riskreg.sites.models import AsmObservation, AsmPresence, ObservationLocation, PresenceSource, Site
from tests.asm_helpers import count_queries, observe, row_html
from tests.conftest import text_of
from tests.edit_forms import edited, form_of

OBSERVATION = {
    "observed_on": "",
    "location": "on_concession",
    "distance_km": "",
    "miners_estimate": "250",
    "minerals": "gold",
    "activity_type": "hard_rock_open_pit",
    "mercury_use": "observed",
    "cyanide_use": "not_observed",
    "children_seen": "y",
    "women_participation": "some",
    "formalisation_status": "unlicensed",
    "oecd_legitimacy": "not_legitimate",
    "source": "patrol",
    "notes": "Twelve new pits north of the haul road.",
}


def observation_form(**over):
    return {**OBSERVATION, "observed_on": today().isoformat(), **over}


def site_events(site_id: int, action: str | None = None) -> list[AuditEvent]:
    db.session.rollback()
    stmt = sa.select(AuditEvent).where(AuditEvent.entity == "site", AuditEvent.entity_id == site_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt.order_by(AuditEvent.id)))


def fresh(site: Site) -> Site:
    db.session.rollback()
    return db.session.get(Site, site.id)


def test_presence_rule():
    since = today() - timedelta(days=180)
    on = today()
    concession, adjacent, distant = (
        ObservationLocation.ON_CONCESSION,
        ObservationLocation.ADJACENT,
        ObservationLocation.DISTANT,
    )
    assert monitoring.derive_presence([], since, 5) is AsmPresence.NONE
    assert monitoring.derive_presence([(on, concession, None, 30)], since, 5) is AsmPresence.ON_SITE
    assert monitoring.derive_presence([(on, adjacent, None, 30)], since, 5) is AsmPresence.ADJACENT
    assert monitoring.derive_presence([(on, distant, 4.9, 30)], since, 5) is AsmPresence.ADJACENT
    assert monitoring.derive_presence([(on, distant, 5.1, 30)], since, 5) is AsmPresence.NONE
    # a check that found nobody is monitoring, not presence; an unknown count is presence
    assert monitoring.derive_presence([(on, concession, None, 0)], since, 5) is AsmPresence.NONE
    assert monitoring.derive_presence([(on, concession, None, None)], since, 5) is AsmPresence.ON_SITE
    # the strongest observation in the window wins; older ones are out
    old = since - timedelta(days=1)
    mixed = [(on, adjacent, None, 5), (old, concession, None, 300)]
    assert monitoring.derive_presence(mixed, since, 5) is AsmPresence.ADJACENT


def test_recording_an_observation_updates_presence_with_audit(clients, make_site):
    site = make_site(name="Tarkwa")
    response = clients["risk_manager"].post(f"/sites/{site.id}/observations/new", data=observation_form())
    assert response.status_code == 302
    site = fresh(site)
    assert site.asm_presence is AsmPresence.ON_SITE
    observation = db.session.scalar(sa.select(AsmObservation).where(AsmObservation.site_id == site.id))
    assert observation.miners_estimate == 250 and observation.children_seen
    presence_events = site_events(site.id, "presence")
    assert presence_events[-1].changes == {"asm_presence": ["none", "on_site"]}
    created = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "asm_observation", AuditEvent.entity_id == observation.id
        )
    )
    assert created.action == "create" and created.changes["miners_estimate"] == [None, 250]
    page = text_of(clients["executive"].get(f"/sites/{site.id}"))
    assert "Twelve new pits north of the haul road." in page and "Children seen" in page


def test_presence_window_is_configurable(app, make_site):
    site = make_site()
    observe(site, days_ago=60, location="on_concession")
    assert fresh(site).asm_presence is AsmPresence.ON_SITE
    app.config["ASM_PRESENCE_WINDOW_DAYS"] = 30
    assert monitoring.derived_presence(site) is AsmPresence.NONE
    observe(site, days_ago=20, location="adjacent")
    assert fresh(site).asm_presence is AsmPresence.ADJACENT


def test_adjacent_threshold_is_configurable(app, make_site):
    site = make_site()
    observe(site, days_ago=3, location="distant", distance_km=8.0)
    assert fresh(site).asm_presence is AsmPresence.NONE
    app.config["ASM_ADJACENT_KM"] = 10
    assert monitoring.derived_presence(site) is AsmPresence.ADJACENT


def test_scheduled_refresh_ages_observations_out(app, runner, make_site):
    site = make_site()
    observe(site, days_ago=100)
    assert fresh(site).asm_presence is AsmPresence.ON_SITE
    app.config["ASM_PRESENCE_WINDOW_DAYS"] = 90
    result = runner.invoke(args=["sites", "refresh-presence"])
    assert result.exit_code == 0 and "on_site -> none" in result.output
    assert fresh(site).asm_presence is AsmPresence.NONE
    event = site_events(site.id, "presence")[-1]
    assert event.actor_id is None and "scheduled" in event.note


def test_manual_presence_needs_a_reason_and_holds_until_released(clients, make_site):
    site = make_site()
    client = clients["risk_manager"]
    url = f"/sites/{site.id}/presence"
    refused = client.post(
        url, data=edited(client, url, "presence-form", source="manual", presence="adjacent")
    )
    assert refused.status_code == 200 and "Give the reason" in text_of(refused)
    assert site_events(site.id) == []

    reason = "Aerial survey shows a new camp 2 km east; field visit pending"
    manual = edited(client, url, "presence-form", source="manual", presence="adjacent", reason=reason)
    assert client.post(url, data=manual).status_code == 302
    site = fresh(site)
    assert (site.asm_presence, site.asm_presence_source, site.asm_presence_reason) == (
        AsmPresence.ADJACENT,
        PresenceSource.MANUAL,
        reason,
    )
    event = site_events(site.id, "presence")[-1]
    assert event.changes["asm_presence"] == ["none", "adjacent"]
    assert event.changes["asm_presence_source"] == ["observations", "manual"]

    observe(site, days_ago=1, location="on_concession")  # a manual presence is not overridden
    assert fresh(site).asm_presence is AsmPresence.ADJACENT
    assert "set by hand: " + reason in text_of(clients["executive"].get(f"/sites/{site.id}"))

    # Two people change the setting from the same page: the later one chooses, nothing is lost.
    release = edited(client, url, "presence-form", source="observations")
    other = edited(clients["admin"], url, "presence-form", reason="Field visit confirmed the camp")
    assert clients["admin"].post(url, data=other).status_code == 302
    asked = client.post(url, data=release)
    assert asked.status_code == 200 and "Keep yours for ASM presence" in asked.get_data(as_text=True)
    assert fresh(site).asm_presence_reason == "Field visit confirmed the camp"
    again = form_of(asked.get_data(as_text=True), "presence-form")
    assert again["source"] == "observations"  # the form still holds this editor's choice
    assert client.post(url, data={**again, "keep-setting": "yours"}).status_code == 302
    site = fresh(site)
    assert (site.asm_presence, site.asm_presence_source, site.asm_presence_reason) == (
        AsmPresence.ON_SITE,
        PresenceSource.OBSERVATIONS,
        "",
    )
    assert site_events(site.id, "presence")[-1].changes["asm_presence_source"] == ["manual", "observations"]


def test_stale_monitoring_is_flagged(app, clients, make_site):
    recent, old = make_site(name="Recent"), make_site(name="Old")
    make_site(name="Never")
    observe(recent, days_ago=10)
    observe(old, days_ago=app.config["MONITORING_STALE_DAYS"] + 5)
    html = clients["executive"].get("/sites").get_data(as_text=True)
    assert "Monitoring stale" not in row_html(html, "Recent")
    assert "Monitoring stale" in row_html(html, "Old")
    assert "Monitoring stale" in row_html(html, "Never") and "Never" in row_html(html, "Never")
    assert "Monitoring is stale" in text_of(clients["executive"].get(f"/sites/{old.id}"))


def test_sites_list_shows_latest_observation_and_open_risks_by_band(clients, make_site, make_risk):
    site = make_site(name="Nyota")
    make_site(name="Kestrel")
    observe(site, days_ago=40, miners=500)
    observe(site, days_ago=5, miners=320, location="adjacent")
    make_risk(site_id=site.id, residual_likelihood=4, residual_impact=4)  # extreme
    make_risk(site_id=site.id, residual_likelihood=3, residual_impact=3)  # high
    make_risk(
        site_id=site.id,
        direction=Direction.TO_ASM,
        category="Human Rights - Security",
        inherent_likelihood=1,
        inherent_impact=5,
        residual_likelihood=1,
        residual_impact=5,
    )  # people-first rule: high
    make_risk(site_id=site.id, status=RiskStatus.DRAFT)  # not open
    make_risk(site_id=None)  # corporate
    row = row_html(clients["executive"].get("/sites").get_data(as_text=True), "Nyota")
    assert (today() - timedelta(days=5)).isoformat() in row
    assert re.search(r'<td[^>]*class="miners">320</td>', row)
    counts = {band: int(n) for band, n in re.findall(r'data-band="(\w+)">[^<]*<strong>(\d+)</strong>', row)}
    assert counts == {"low": 0, "medium": 0, "high": 2, "extreme": 1}
    assert re.search(
        r'<td[^>]*class="miners">—</td>',
        row_html(clients["executive"].get("/sites").get_data(as_text=True), "Kestrel"),
    )
    # the site page counts the same open risks
    page = clients["executive"].get(f"/sites/{site.id}").get_data(as_text=True)
    assert "High <strong>2</strong>" in page and "Extreme <strong>1</strong>" in page


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"observed_on": (today() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"observed_on": ""}, "Give the date"),
        ({"miners_estimate": "-3"}, "must be from 0 to 10,000,000"),
        ({"miners_estimate": "many"}, "Not a valid integer value"),
        ({"location": "distant", "distance_km": "-2"}, "distance cannot be negative"),
        ({"location": "distant", "distance_km": ""}, "Give the distance in km"),
        ({"location": "on_concession", "distance_km": "3"}, "has no distance"),
        ({"location": "underwater"}, "Choose one of"),
        ({"source": "rumour"}, "Choose one of"),
    ],
)
def test_bad_observation_input_writes_nothing(clients, make_site, over, message):
    site = make_site()
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = clients["risk_manager"].post(
        f"/sites/{site.id}/observations/new", data=observation_form(**over)
    )
    assert response.status_code == 200 and message in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AsmObservation.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events
    assert fresh(site).asm_presence is AsmPresence.NONE


def test_service_refuses_bad_values_from_other_callers(make_site):
    site = make_site()
    with pytest.raises(monitoring.MonitoringError, match="not one of"):
        monitoring.add_observation(
            site, {"observed_on": today(), "location": "moon", "source": "patrol"}, None
        )
    with pytest.raises(monitoring.MonitoringError, match="cannot be negative"):
        observe(site, miners=-1)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AsmObservation.id))) == 0


def test_department_head_cannot_record_monitoring(clients, make_site):
    site = make_site()
    assert (
        clients["department_head"]
        .post(f"/sites/{site.id}/observations/new", data=observation_form())
        .status_code
        == 403
    )
    assert (
        clients["executive"].post(f"/sites/{site.id}/presence", data={"source": "observations"}).status_code
        == 403
    )
    assert "Record an observation" not in text_of(clients["department_head"].get(f"/sites/{site.id}"))


def sites_queries(client) -> int:
    with count_queries() as statements:
        assert client.get("/sites").status_code == 200
    return len(statements)


def site_page_queries(client, site_id: int) -> int:
    with count_queries() as statements:
        assert client.get(f"/sites/{site_id}").status_code == 200
    return len(statements)


def test_query_counts_do_not_grow_with_data(clients, make_site, make_risk):
    client = clients["executive"]
    first = make_site(name="First")
    observe(first, days_ago=3)
    make_risk(site_id=first.id)
    small_list, small_page = sites_queries(client), site_page_queries(client, first.id)
    for number in range(6):
        site = make_site(name=f"More {number}")
        for days in (1, 20, 50):
            observe(site, days_ago=days)
            observe(first, days_ago=days + number)
        make_risk(site_id=site.id)
        make_risk(site_id=first.id)
    assert sites_queries(client) == small_list
    assert site_page_queries(client, first.id) == small_page


def test_a_concurrent_change_of_the_site_saves_nothing(clients, make_site, monkeypatch):
    """The real writer runs: the observation is inserted and audited, then the site's presence is
    written while someone else has just saved the site (its version moved on). Nothing of it may
    stay: no observation, no audit event, the site as the other person left it."""
    site = make_site()
    site_id, events = site.id, db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    real = monitoring.derived_presence

    def someone_saves_the_site_meanwhile(*args, **kwargs):
        # In the request's transaction, as a commit by another person just before would look.
        bump = sa.update(Site).where(Site.id == site_id).values(version=Site.version + 1)
        db.session.execute(bump, execution_options={"synchronize_session": False})
        return real(*args, **kwargs)

    monkeypatch.setattr(monitoring, "derived_presence", someone_saves_the_site_meanwhile)
    response = clients["risk_manager"].post(f"/sites/{site_id}/observations/new", data=observation_form())
    assert response.status_code == 200 and "nothing was saved" in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AsmObservation.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events
    assert fresh(site).asm_presence is AsmPresence.NONE
