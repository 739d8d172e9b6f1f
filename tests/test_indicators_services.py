"""Recompute, triggers and flags, thresholds, links and reviews at the service level."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg import audit
from riskreg.extensions import db
from riskreg.indicators import library, reviews, services, tuning
from riskreg.indicators.models import IndicatorDefinition, ReviewKind, RiskReview, Status, Trigger
from riskreg.modeling import today
from riskreg.risks import services as risk_services
from riskreg.risks.models import RiskStatus
from riskreg.sites import engagements, monitoring
from tests.asm_helpers import observe
from tests.conftest import statements
from tests.indicator_support import all_flags, indicator, load_indicators, open_flags


@pytest.fixture
def mine(app, make_site):
    load_indicators()
    return make_site(name="Nyota Gold Mine")


def test_no_library_no_indicators(app, make_site):
    site = make_site()
    observe(site, miners=900)
    assert db.session.scalar(sa.select(sa.func.count(Trigger.id))) == 0


def test_an_observation_recomputes_in_its_own_transaction_and_a_move_to_red_flags_linked_risks(
    mine, make_site, make_risk, users
):
    influx = make_risk(title="Gold-rush influx", site_id=mine.id, category="Security & Conflict")
    tenure = make_risk(title="Encroachment", site_id=mine.id, category="Land Access & Tenure")
    unrelated = make_risk(title="Mercury", site_id=mine.id, category="Environment")
    closed = make_risk(title="Old", site_id=mine.id, category="Security & Conflict", status=RiskStatus.CLOSED)
    elsewhere = make_risk(title="Other site", site_id=make_site().id, category="Security & Conflict")
    observe(mine, miners=120)
    assert indicator(mine, "miners_on_concession").status is Status.GREEN
    assert not open_flags(influx)

    observe(mine, miners=500)
    kri = indicator(mine, "miners_on_concession")
    assert (kri.value, kri.status) == (500, Status.RED)
    reason = "Miners on the concession rose from 120 to 500 over the last 90 days (red at 500 or more)"
    trigger = db.session.scalar(sa.select(Trigger).where(Trigger.site_indicator_id == kri.id))
    assert trigger.reason == reason and trigger.old_status is Status.GREEN
    for risk in (influx, tenure):
        assert [f.trigger_id for f in open_flags(risk)] == [trigger.id]

    for risk in (unrelated, closed, elsewhere):
        assert not [f for f in open_flags(risk) if f.trigger.site_indicator_id == kri.id]
    events = audit.history("site_indicator", kri.id)
    assert events[0].action == "trigger" and events[0].changes["status"] == ["green", "red"]
    assert events[0].note == reason and events[0].changes["flagged_risks"] == [None, [influx.ref, tenure.ref]]


def test_staying_red_is_not_a_new_trigger_and_clearing_then_rising_again_is(mine, make_risk):
    risk = make_risk(site_id=mine.id, category="Security & Conflict")
    observe(mine, miners=600)
    observe(mine, miners=650)
    assert len(all_flags(risk)) == 1
    observe(mine, miners=100)  # green again: no trigger
    observe(mine, miners=700)
    assert len(all_flags(risk)) == 2


def test_an_engagement_recomputes_grievances(mine, make_risk, users):
    risk = make_risk(site_id=mine.id, category="Community & Social")
    for days in (10, 20):
        data = {
            "held_on": today() - timedelta(days=days),
            "stakeholder_group": "asm_miners",
            "mode": "direct",
            "topics": "Access",
            "grievances": "Tools confiscated",
        }
        engagements.add_engagement(mine, data, users["risk_manager"])
    db.session.commit()
    assert indicator(mine, "grievances").status is Status.AMBER
    assert any("Grievances raised in engagements" in f.trigger.reason for f in open_flags(risk))


def test_a_risk_linked_by_hand_is_flagged_and_one_at_another_site_is_refused(
    mine, make_site, make_risk, users
):
    legal = make_risk(site_id=mine.id, category="Legal & Regulatory")
    other = make_risk(site_id=make_site().id, category="Legal & Regulatory")
    observe(mine, miners=10)  # creates the site's indicators
    kri = indicator(mine, "children_seen")
    with pytest.raises(services.IndicatorError, match="not at this indicator's site"):
        tuning.link_risk(kri, other, users["risk_manager"])
    db.session.rollback()
    tuning.link_risk(kri, legal, users["risk_manager"])
    db.session.commit()
    with pytest.raises(services.IndicatorError, match="already linked"):
        tuning.link_risk(kri, legal, users["risk_manager"])
    db.session.rollback()
    observe(mine, miners=10, children_seen=True)
    assert [f.trigger.site_indicator_id for f in open_flags(legal)] == [kri.id]
    assert not open_flags(other)


@pytest.mark.parametrize(
    ("amber", "red", "field", "message"),
    [
        ("abc", "5", "amber", "must be a number, not 'abc'"),
        ("3", "", "red", "Give the red threshold"),
        ("nan", "5", "amber", "ordinary number"),
        ("5", "5", "red", "Red must be above amber"),
        ("5", "2", "red", "Red must be above amber"),
    ],
)
def test_bad_thresholds_write_nothing(mine, users, amber, red, field, message):
    observe(mine, miners=10)
    kri = indicator(mine, "miners_on_concession")
    before = (kri.amber, kri.red, kri.version)
    with pytest.raises(services.IndicatorError, match=message) as error:
        tuning.update_indicator(kri, {"amber": amber, "red": red}, users["admin"], kri.version)
    assert error.value.field == field
    db.session.rollback()
    kri = indicator(mine, "miners_on_concession")
    assert (kri.amber, kri.red, kri.version) == before
    assert not [e for e in audit.history("site_indicator", kri.id) if e.action == "update"]


def test_new_thresholds_are_audited_and_the_status_follows_at_once(mine, make_risk, users):
    risk = make_risk(site_id=mine.id, category="Security & Conflict")
    observe(mine, miners=250)
    kri = indicator(mine, "miners_on_concession")
    changes = tuning.update_indicator(kri, {"amber": "100", "red": "200,5"}, users["admin"], kri.version)
    db.session.commit()
    assert changes == {"amber": [300.0, 100.0], "red": [500.0, 200.5]}
    kri = indicator(mine, "miners_on_concession")
    assert kri.status is Status.RED and kri.version == 2 and len(open_flags(risk)) == 1
    with pytest.raises(services.IndicatorError, match="Someone else changed"):
        tuning.update_indicator(kri, {"amber": "1", "red": "2"}, users["admin"], 1)


def test_lower_is_worse_thresholds(mine, users):
    observe(mine, miners=10)
    kri = indicator(mine, "engagements_held")
    with pytest.raises(services.IndicatorError, match="Red must be below amber"):
        tuning.update_indicator(kri, {"amber": "1", "red": "3"}, users["admin"], kri.version)


def test_reviewed_no_change_needs_a_note_closes_every_open_flag_and_rolls_the_review_forward(
    mine, make_risk, users
):
    risk = make_risk(
        site_id=mine.id, category="Security & Conflict", residual_likelihood=3, residual_impact=4
    )
    observe(mine, miners=350, security_incident=True)
    assert len(open_flags(risk)) == 2  # miners amber, incidents amber
    with pytest.raises(reviews.ReviewError, match="note"):
        reviews.review(risk, ReviewKind.NO_CHANGE, "  ", users["risk_manager"])
    record = reviews.review(risk, ReviewKind.NO_CHANGE, "Patrols hold the line", users["risk_manager"])
    db.session.commit()
    band = risk.residual_band
    assert band.review_days == {"low": 365, "medium": 180, "high": 90, "extreme": 30}[band.key]
    assert risk.next_review_date == today() + timedelta(days=band.review_days)
    assert not open_flags(risk) and len(all_flags(risk)) == 2
    assert {f.review_id for f in all_flags(risk)} == {record.id}
    event = audit.history("risk", risk.id)[0]
    assert event.action == "review" and event.changes["review_flags"] == [2, 0]
    assert (
        "Reviewed, no change: Patrols hold the line" in event.note
        and "Miners on the concession" in event.note
    )
    with pytest.raises(reviews.ReviewError, match="no open review flag"):
        reviews.review(risk, ReviewKind.NO_CHANGE, "again", users["risk_manager"])


def test_a_reassessment_in_the_risk_edit_clears_the_flags_but_another_edit_does_not(mine, make_risk, users):
    risk = make_risk(site_id=mine.id, category="Security & Conflict")
    observe(mine, miners=600)
    data = {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(risk, {**data, "title": "Influx"}, users["risk_manager"], risk.version)
    db.session.commit()
    assert open_flags(risk)
    data = {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(risk, {**data, "residual_likelihood": 4}, users["risk_manager"], risk.version)
    db.session.commit()
    assert not open_flags(risk)
    review = db.session.scalar(sa.select(RiskReview).where(RiskReview.risk_id == risk.id))
    assert review.kind is ReviewKind.REASSESSED and review.note == "residual likelihood 3 → 4"
    assert risk.next_review_date == today() + timedelta(days=risk.residual_band.review_days)


def test_recompute_statements_do_not_grow_with_the_linked_risks(app, make_site, make_risk, users):
    """The recompute and its flags are a fixed number of statements for 5 or 60 linked risks."""
    load_indicators()
    counts = []
    for n in (5, 60):
        site = make_site()
        risks = [make_risk(title=f"R{i}", site_id=site.id, category="Security & Conflict") for i in range(n)]
        observe(site, miners=10)
        values = {"observed_on": today(), "location": "on_concession", "miners_estimate": 800}
        values |= {"activity_type": "alluvial", "source": "patrol"}
        monitoring.add_observation(site, values, None, refresh=False)
        db.session.flush()
        with statements(sql_only=True) as seen:
            triggers = services.recompute_sites([site.id], users["risk_manager"], notify=False)
        db.session.commit()
        assert [t.new_status for t in triggers] == [Status.RED]
        assert all(len(open_flags(risk)) == 1 for risk in risks)
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


def test_the_library_loads_idempotently_and_refuses_bad_entries(app):
    first = library.load_library()
    assert len(first.created) == 10
    again = library.load_library()
    assert (again.created, again.updated) == ([], [])
    entry = {"id": "x", "label": "X", "kind": "children_seen", "amber": 1, "red": 2}
    assert library.load_library([entry]).created == ["x"]
    assert library.load_library([{**entry, "label": "Y"}]).updated == ["x"]
    assert (
        db.session.scalar(sa.select(IndicatorDefinition.label).where(IndicatorDefinition.code == "x")) == "Y"
    )
    for bad, message in [
        ({**entry, "kind": "moon"}, "unknown kind"),
        ({**entry, "red": 1}, "Red must be above amber"),
        ({**entry, "categories": ["Astrology"]}, "unknown categories"),
        ({**entry, "amber": "many"}, "could not convert"),
    ]:
        with pytest.raises(library.LibraryError, match=message):
            library.load_library([bad])
