"""The dashboard makes the same number of SQL statements whatever the size of the register."""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from riskreg.controls.models import Control, ControlStatus, risk_controls
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment, format_ref
from riskreg.sites.models import AsmPresence, Site
from tests.conftest import statements
from tests.dashboard_pages import counts, page

_numbers = itertools.count()


def grow(users, risks: int) -> None:
    """Add `risks` risks spread over sites, directions, cells and statuses, each with two controls."""
    departments = list(db.session.scalars(sa.select(Department.id)))
    sites = list(db.session.scalars(sa.select(Site.id)))
    directions, statuses = list(Direction), [RiskStatus.OPEN, RiskStatus.OPEN, RiskStatus.DRAFT]
    for _ in range(risks):
        n = next(_numbers)
        risk = Risk(
            title=f"Risk {n}",
            site_id=sites[n % len(sites)] if n % 4 else None,
            direction=directions[n % 3],
            category="Environment" if n % 2 else "Security & Conflict",
            owner_id=users["risk_manager"].id,
            impact_area=ImpactArea.SOCIAL,
            treatment=Treatment.REDUCE,
            inherent_likelihood=n % 5 + 1,
            inherent_impact=(n // 5) % 5 + 1,
            residual_likelihood=(n * 3) % 5 + 1,
            residual_impact=(n * 7) % 5 + 1,
            target_likelihood=1 if n % 3 else None,
            target_impact=1 if n % 3 else None,
            status=statuses[n % 3],
            next_review_date=today() + timedelta(days=(n % 9) - 4),
        )
        risk.controls = [
            Control(
                title=f"Control {n}-{k}",
                department_id=departments[(n + k) % len(departments)],
                status=list(ControlStatus)[(n + k) % 5],
                due_date=today() + timedelta(days=(n % 11) - 5),
            )
            for k in range(2)
        ]
        db.session.add(risk)
    db.session.flush()
    for risk in db.session.scalars(sa.select(Risk).where(Risk.ref.is_(None))):
        risk.ref = format_ref("R", risk.id)
    db.session.commit()


def test_query_count_does_not_grow_with_the_register(clients, users, make_site):
    client = clients["executive"]
    for k in range(3):
        make_site(name=f"Concession {k}", asm_presence=list(AsmPresence)[k])
    grow(users, 10)
    # A site and department where the filtered view already shows a risk (its top risks carry their
    # bowties in the board pack): the count may then not grow, whatever numbers the risks were given.
    site, security = db.session.execute(
        sa.select(Risk.site_id, Control.department_id)
        .join(risk_controls, risk_controls.c.risk_id == Risk.id)
        .join(Control, Control.id == risk_controls.c.control_id)
        .where(Risk.site_id.is_not(None), Risk.target_likelihood.is_not(None))
        .order_by(Risk.id)
        .limit(1)
    ).one()
    urls = [
        "/dashboard",
        f"/dashboard?site={site}&department={security}&view=target&status=all",
        "/dashboard?direction=to_communities",  # the toggle's view of one direction
    ]
    page(client.get("/dashboard"))  # the month's first view writes its snapshot once

    def measure() -> dict[str, int]:
        measured = {}
        for url in urls:
            with statements() as seen:
                page(client.get(url))
            measured[url] = len(seen)
        return measured

    small = measure()
    grow(users, 190)
    db.session.add_all(Site(name=f"Extra site {k}", country="Peru") for k in range(20))
    db.session.commit()
    large = measure()
    assert large == small
    # 13 for the register panels (riskreg/dashboard/views.py; one is the bands per direction), 13 for
    # critical controls and their bowties in the board pack, appetite, grievances and the review figures
    assert small["/dashboard"] <= 26, small
    total = sum(counts(page(client.get("/dashboard?status=all")), "residual").values())
    assert total == db.session.scalar(
        sa.select(sa.func.count(Risk.id)).where(Risk.status != RiskStatus.ARCHIVED)
    )
