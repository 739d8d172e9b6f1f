"""The rules of the grievance mechanism: bad input refused with nothing written, the steps in order
and dated, deadlines and overdue flags, severe grievances flagging their risks, the KPIs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.grievances import queries, services
from riskreg.grievances.models import Grievance, GrievanceStatus, GrievanceStep
from riskreg.indicators.models import ReviewFlag
from riskreg.modeling import today
from tests.grievance_support import grievance_data, new_grievance, new_stakeholder


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def refused(call, field: str) -> str:
    before = (count(Grievance), count(GrievanceStep), count(AuditEvent))
    with pytest.raises(services.GrievanceError) as caught:
        call()
    db.session.rollback()
    assert caught.value.field == field
    assert (count(Grievance), count(GrievanceStep), count(AuditEvent)) == before
    return str(caught.value)


def test_a_stakeholder_of_another_site_is_refused(make_site, users):
    here, there = make_site(name="Tarkwa"), make_site(name="Obuasi")
    theirs = new_stakeholder(there, "Obuasi miners")
    data = grievance_data(here, stakeholder_id=theirs.id)
    message = refused(lambda: services.create_grievance(data, users["admin"]), "stakeholder_id")
    assert "another site" in message and "Obuasi miners" in message


def test_a_date_in_the_future_is_refused(make_site, users):
    data = grievance_data(make_site(), received_on=today() + timedelta(days=1))
    assert "future" in refused(lambda: services.create_grievance(data, users["admin"]), "received_on")


def test_a_bad_severity_is_refused(make_site, users):
    data = grievance_data(make_site(), severity=7)
    refused(lambda: services.create_grievance(data, users["admin"]), "severity")


def test_a_non_officer_cannot_record_a_complainant(make_site, users):
    data = grievance_data(make_site())
    before = count(Grievance)
    with pytest.raises(services.NotAllowed):
        services.create_grievance(data, users["risk_manager"], {"name": "Kofi Mensah"})
    db.session.rollback()
    assert count(Grievance) == before


def test_the_steps_go_in_order(make_site, users):
    grievance = new_grievance(make_site(), users["admin"])
    on = today()
    message = refused(
        lambda: services.take_step(grievance, "resolved", on, users["admin"]), "step"
    )  # resolving an unacknowledged grievance
    assert "received" in message and "acknowledged" in message
    for step in ("acknowledged", "under_investigation"):
        services.take_step(grievance, step, on, users["admin"])
    db.session.commit()
    refused(lambda: services.take_step(grievance, "response_proposed", on, users["admin"]), "response")
    services.take_step(grievance, "response_proposed", on, users["admin"], response="Refill and pay.")
    services.take_step(grievance, "resolved", on, users["admin"], accepted=True)
    services.take_step(grievance, "closed", on, users["admin"])
    db.session.commit()
    assert grievance.status is GrievanceStatus.CLOSED and grievance.accepted is True
    assert [s.step.value for s in queries.steps_of(grievance.id)] == [
        "received",
        "acknowledged",
        "under_investigation",
        "response_proposed",
        "resolved",
        "closed",
    ]
    assert "closed" in refused(lambda: services.take_step(grievance, "appeal", on, users["admin"]), "step")


def test_an_appeal_follows_a_response_not_accepted(make_site, users):
    grievance = new_grievance(make_site(), users["admin"])
    on = today()
    for step in ("acknowledged", "under_investigation"):
        services.take_step(grievance, step, on, users["admin"])
    services.take_step(grievance, "response_proposed", on, users["admin"], response="A new fence line.")
    services.take_step(grievance, "not_resolved", on, users["admin"], accepted=False)
    services.take_step(grievance, "appeal", on, users["admin"], note="Appealed to the district panel")
    db.session.commit()
    assert grievance.appeal_on == on and grievance.accepted is False


def test_a_step_is_dated_neither_in_the_future_nor_before_the_previous_one(make_site, users):
    grievance = new_grievance(make_site(), users["admin"], received_on=today() - timedelta(days=5))
    step = services.take_step
    assert "future" in refused(
        lambda: step(grievance, "acknowledged", today() + timedelta(days=1), users["admin"]), "on"
    )
    message = refused(
        lambda: step(grievance, "acknowledged", today() - timedelta(days=6), users["admin"]), "on"
    )
    assert "before the previous" in message


def test_deadlines_and_overdue_flags(app, make_site, users):
    site = make_site()
    late = new_grievance(site, users["admin"], received_on=today() - timedelta(days=8))
    fresh = new_grievance(site, users["admin"], received_on=today() - timedelta(days=2))
    limits = services.deadlines()
    assert (limits.acknowledge_days, limits.respond_days) == (7, 30)
    assert services.overdue_reasons(late, limits) == ["not acknowledged within 7 days"]
    assert services.overdue_reasons(fresh, limits) == []
    rows, total = queries.grievance_rows(queries.GrievanceFilters(overdue=True))
    assert [g.id for g in rows] == [late.id] and total == 1
    app.config["GRIEVANCE_ACKNOWLEDGE_DAYS"] = 1
    assert services.overdue_reasons(fresh, services.deadlines()) == ["not acknowledged within 1 days"]


def test_the_admin_setting_overrides_the_deadlines(app, make_site, users):
    from riskreg.standards.models import AppSetting

    db.session.add(AppSetting(key=services.SETTING_KEY, value={"acknowledge_days": 3, "respond_days": 14}))
    db.session.commit()
    assert services.deadlines() == services.Deadlines(3, 14)


def test_a_severe_grievance_flags_its_risk_for_review(make_site, make_risk, users):
    from riskreg.indicators.reviews import open_flag_reasons

    site = make_site()
    risk = make_risk(site_id=site.id)
    mild = new_grievance(site, users["admin"], severity=2)
    services.link_risk(mild, risk.ref, users["admin"])
    db.session.commit()
    assert open_flag_reasons([risk.id]) == {}
    severe = new_grievance(
        site, users["admin"], severity=2, human_rights_impact=True, category="security_conduct"
    )
    services.link_risk(severe, risk.ref, users["admin"])
    db.session.commit()
    assert open_flag_reasons([risk.id]) == {
        risk.id: [f"Grievance {severe.ref} (security conduct, severity 2, alleging a human-rights impact)"]
    }
    flag = db.session.scalar(sa.select(ReviewFlag).where(ReviewFlag.risk_id == risk.id))
    assert flag.grievance_id == severe.id and flag.trigger_id is None


def test_a_review_clears_a_grievance_flag(make_site, make_risk, users):
    from riskreg.indicators.models import ReviewKind
    from riskreg.indicators.reviews import open_flag_reasons, review

    site = make_site()
    risk = make_risk(site_id=site.id)
    severe = new_grievance(site, users["admin"], severity=5)
    services.link_risk(severe, risk.ref, users["admin"])
    db.session.commit()
    review(risk, ReviewKind.NO_CHANGE, "Controls hold; compensation paid.", users["risk_manager"])
    db.session.commit()
    assert open_flag_reasons([risk.id]) == {}


def test_a_risk_of_another_site_cannot_be_linked(make_site, make_risk, users):
    here, there = make_site(), make_site()
    risk = make_risk(site_id=there.id)
    grievance = new_grievance(here, users["admin"])
    assert "another site" in refused(
        lambda: services.link_risk(grievance, risk.ref, users["admin"]), "risk_ref"
    )


def test_kpis(make_site, users):
    site = make_site()
    cooperative = new_stakeholder(site)
    base = today() - timedelta(days=60)
    on_time = new_grievance(site, users["admin"], received_on=base, stakeholder_id=cooperative.id)
    late = new_grievance(
        site, users["admin"], received_on=base, stakeholder_id=cooperative.id, category="water"
    )
    for grievance, ack in ((on_time, 2), (late, 10)):
        services.take_step(grievance, "acknowledged", base + timedelta(days=ack), users["admin"])
        services.take_step(grievance, "under_investigation", base + timedelta(days=ack), users["admin"])
        services.take_step(
            grievance, "response_proposed", base + timedelta(days=20), users["admin"], response="r"
        )
    services.take_step(on_time, "resolved", base + timedelta(days=25), users["admin"])
    services.take_step(on_time, "closed", base + timedelta(days=28), users["admin"])
    services.take_step(late, "not_resolved", base + timedelta(days=40), users["admin"])
    services.take_step(late, "appeal", base + timedelta(days=41), users["admin"])
    db.session.commit()
    kpis = queries.kpis(queries.GrievanceFilters(site=site.id))
    assert kpis.received == 2
    assert kpis.per_month == [(base.strftime("%Y-%m"), 2)]
    assert dict(kpis.per_category) == {"Land": 1, "Water": 1}
    assert kpis.acknowledged_on_time == 0.5
    assert kpis.resolved_on_time == 0.5
    assert kpis.average_days_to_close == 28
    assert kpis.appeal_share == 0.5
    assert kpis.repeat_grievances == 2 and kpis.repeat_stakeholders == [(cooperative.name, 2)]


def test_kpis_statement_is_built_once_per_filters_and_day_and_follows_each(make_site, users):
    """The dashboard asks for the KPIs on every view: the statement of a set of filters, deadlines
    and day is made once; other filters, another day and new grievances still count right."""
    north, south = make_site(name="North pit"), make_site(name="South pit")
    new_grievance(north, users["admin"], received_on=today() - timedelta(days=3))
    db.session.commit()
    queries._kpi_rows.cache_clear()
    for _ in range(3):
        assert queries.kpis(queries.GrievanceFilters(site=north.id)).received == 1
    assert queries._kpi_rows.cache_info().misses == 1 and queries._kpi_rows.cache_info().hits == 2
    assert queries.kpis(queries.GrievanceFilters(site=south.id)).received == 0
    new_grievance(south, users["admin"], received_on=today() - timedelta(days=1))
    db.session.commit()
    assert queries.kpis(queries.GrievanceFilters(site=south.id)).received == 1
    assert queries.kpis(queries.GrievanceFilters()).received == 2
    ahead = today() + timedelta(days=40)  # another day: the overdue counts move with it
    assert queries.kpis(queries.GrievanceFilters(), on=ahead).open_overdue == 2
    assert queries.kpis(queries.GrievanceFilters()).open_overdue == 0
