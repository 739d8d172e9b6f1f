"""The engagement log: engagements with follow-up controls, one timeline with the observations, the
formalisation-support panel, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites import engagements
from riskreg.sites.models import Engagement, engagement_controls
from riskreg.sites.monitoring import MonitoringError
from tests.asm_helpers import make_control, observe
from tests.conftest import text_of


def engagement_form(**over):
    data = {
        "held_on": today().isoformat(),
        "stakeholder_group": "asm_cooperative",
        "mode": "direct",
        "topics": "Boundary of the proposed ASM zone and the blasting schedule.",
        "grievances": "Tools confiscated at the northern gate.",
    }
    data.update(over)
    return data


@pytest.fixture
def site_with_control(make_site, make_risk):
    site = make_site(name="Nyota")
    risk = make_risk(site_id=site.id)
    control = make_control("Monthly liaison forum", "Community Relations", risks=[risk])
    return site, control


def test_engagement_with_follow_up_control_is_recorded_and_audited(clients, site_with_control):
    site, control = site_with_control
    response = clients["risk_manager"].post(
        f"/sites/{site.id}/engagements/new",
        data=engagement_form(formalisation_support="y", follow_up_controls=[str(control.id)]),
    )
    assert response.status_code == 302
    db.session.rollback()
    engagement = db.session.scalar(sa.select(Engagement))
    assert engagement.site_id == site.id and engagement.formalisation_support
    linked = db.session.scalars(sa.select(engagement_controls.c.control_id)).all()
    assert linked == [control.id]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "engagement", AuditEvent.entity_id == engagement.id)
    )
    assert event.action == "create" and event.changes["follow_up_controls"] == [None, [control.ref]]
    page = text_of(clients["executive"].get(f"/sites/{site.id}"))
    assert "Tools confiscated at the northern gate." in page
    assert f"Follow-up: {control.ref} Monthly liaison forum" in page


def test_observations_and_engagements_share_one_dated_timeline(clients, site_with_control):
    site, control = site_with_control
    observe(site, days_ago=9, notes="Oldest: observation nine days ago")
    observe(site, days_ago=1, notes="Newest: observation yesterday")
    for days, topic in (
        (5, "Middle: engagement five days ago"),
        (12, "Before all: engagement twelve days ago"),
    ):
        engagements.add_engagement(
            site,
            {
                "held_on": today() - timedelta(days=days),
                "stakeholder_group": "community_leaders",
                "mode": "indirect",
                "topics": topic,
            },
            actor=None,
        )
    db.session.commit()
    page = text_of(clients["executive"].get(f"/sites/{site.id}"))
    order = [
        page.index("Newest: observation yesterday"),
        page.index("Middle: engagement five days ago"),
        page.index("Oldest: observation nine days ago"),
        page.index("Before all: engagement twelve days ago"),
    ]
    assert order == sorted(order)


def test_formalisation_support_panel_shows_tagged_engagements_and_controls(clients, make_site, make_risk):
    site = make_site(name="Rio Seco")
    risk = make_risk(site_id=site.id)
    make_control(
        "REINFO support for the terrace cooperative",
        "Community Relations",
        risks=[risk],
        formalisation_support=True,
    )
    make_control("Boundary patrols", "Security", risks=[risk])
    engagements.add_engagement(
        site,
        {
            "held_on": today(),
            "stakeholder_group": "asm_authority",
            "mode": "direct",
            "topics": "Licensing workshop with the mining office",
            "formalisation_support": True,
        },
        actor=None,
    )
    db.session.commit()
    html = clients["executive"].get(f"/sites/{site.id}").get_data(as_text=True)
    panel = html[html.index('id="formalisation"') : html.index('id="timeline"')]
    assert "REINFO support for the terrace cooperative" in panel
    assert "Licensing workshop with the mining office" in panel
    assert "Boundary patrols" not in panel


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"held_on": (today() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"held_on": "yesterday"}, "Not a valid date value"),
        ({"topics": ""}, "Say what was discussed."),
        ({"stakeholder_group": "aliens"}, "Choose one of"),
        ({"follow_up_controls": ["999"]}, "Not a control of this site"),
    ],
)
def test_bad_engagement_input_writes_nothing(clients, site_with_control, over, message):
    site, _ = site_with_control
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = clients["risk_manager"].post(f"/sites/{site.id}/engagements/new", data=engagement_form(**over))
    assert response.status_code == 200 and message in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


def test_follow_up_controls_must_belong_to_the_site(make_site, make_risk, site_with_control):
    site, _ = site_with_control
    elsewhere = make_site(name="Elsewhere")
    foreign = make_control("Another site's control", risks=[make_risk(site_id=elsewhere.id)])
    with pytest.raises(MonitoringError, match="controls of this site's risks"):
        engagements.add_engagement(
            site,
            {
                "held_on": today(),
                "stakeholder_group": "traders",
                "mode": "direct",
                "topics": "Gold buyers",
                "follow_up_controls": [foreign.id],
            },
            actor=None,
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == 0
