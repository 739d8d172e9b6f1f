"""The demo holds a year of stakeholder plans, engagements and grievances with a realistic timeliness."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.grievances import queries
from riskreg.grievances.models import Grievance, GrievanceStatus
from riskreg.modeling import today
from riskreg.sites.models import Site
from riskreg.stakeholders.queries import engagement_map
from tests.conftest import text_of


def test_the_demo_has_a_year_of_plans_engagements_and_grievances(runner, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    mine = db.session.scalar(sa.select(Site).where(Site.name == "Nyota Gold Mine"))
    emap = engagement_map(mine.id)
    assert emap.planned > 0 and emap.held <= emap.planned
    if today().timetuple().tm_yday > 60:  # the plans are for this year: early in January, none is due
        assert emap.held > 0
    grievances = list(db.session.scalars(sa.select(Grievance).where(Grievance.site_id == mine.id)))
    assert len(grievances) >= 20
    received = [g.received_on for g in grievances]
    assert min(received) >= date(today().year - 1, today().month, 1) and max(received) <= today()
    kpis = queries.kpis(queries.GrievanceFilters(site=mine.id))
    assert 0.6 <= kpis.acknowledged_on_time < 1  # mostly on time, not always
    assert 0 < kpis.appeal_share < 0.3 and kpis.average_days_to_close > 7
    assert any(g.status is not GrievanceStatus.CLOSED for g in grievances)
    # The grievance officer of the demo sees complainants; the executive sees the list
    response = client.post("/login", data={"email": "exec@example.com", "password": "riskreg-demo-2026"})
    assert response.status_code == 302
    assert "G-0001" in text_of(client.get("/grievances"))
