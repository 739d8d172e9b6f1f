"""The export's queries: a fixed number whatever the size of the register, rows streamed in chunks."""

from __future__ import annotations

import io
import itertools
from datetime import date

import sqlalchemy as sa

from riskreg.controls.models import Control, control_requirements, risk_controls
from riskreg.exports import queries, xlsx
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import (
    Direction,
    ImpactArea,
    Risk,
    RiskStatus,
    Treatment,
    format_ref,
    risk_requirements,
)
from riskreg.sites import engagements
from riskreg.standards.models import Requirement
from tests.asm_helpers import observe
from tests.conftest import statements as counted
from tests.xlsx_files import add_control, calamine_rows

_numbers = itertools.count(1)


def add_risks(n: int, owner_id: int, site_id: int, requirement_ids: list[int]) -> None:
    """Risks straight into the table (fast), each with a control and two requirements."""
    risks = []
    for i in range(n):
        number = next(_numbers)
        risks.append(
            Risk(
                ref=format_ref("R", 10_000 + number),
                title=f"Risk {number}",
                direction=list(Direction)[i % 3],
                category="Environment",
                owner_id=owner_id,
                impact_area=ImpactArea.ENVIRONMENT,
                treatment=Treatment.REDUCE,
                site_id=site_id if i % 2 else None,
                inherent_likelihood=1 + i % 5,
                inherent_impact=5,
                residual_likelihood=1,
                residual_impact=1 + i % 5,
                status=RiskStatus.OPEN,
                next_review_date=date(2027, 1, 1 + i % 28),
            )
        )
    db.session.add_all(risks)
    db.session.flush()
    if requirement_ids:
        db.session.execute(
            sa.insert(risk_requirements),
            [{"risk_id": r.id, "requirement_id": q} for r in risks for q in requirement_ids],
        )
    db.session.commit()
    for risk in risks:
        add_control([risk], title=f"Control for {risk.ref}")


def requirements() -> list[int]:
    rows = [
        Requirement(
            code=code, framework_key="IRMA", framework="IRMA", edition="2018", identifier=code, title=code
        )
        for code in ("IRMA-3.7.1", "GRI-14-14.13")
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def export_statements() -> tuple[int, bytes]:
    out = io.BytesIO()
    with counted() as statements:
        xlsx.export_register(RiskFilters(), "test", out)
    return len(statements), out.getvalue()


def test_query_count_does_not_grow_with_the_register(app, users, make_site):
    site = make_site()
    requirement_ids = requirements()
    add_risks(10, users["risk_manager"].id, site.id, requirement_ids)
    small, data = export_statements()
    assert len(calamine_rows(data, "Register")) == 11
    add_risks(190, users["risk_manager"].id, site.id, requirement_ids)
    large, data = export_statements()
    rows = calamine_rows(data, "Register")
    assert len(rows) == 201 and len(calamine_rows(data, "Controls")) == 201
    assert small == large, (small, large)
    # BEGIN, 4 for the context, 5 for the register's five sheets (PostgreSQL: 2 more, for the
    # streamed cursors), 7 for Coverage, 6 or 7 (with a site with ASM) for the ASM disclosure (its
    # ASM-related grievances included), 1 each for the Bowtie and Acceptances sheets, 2 for Grievances
    assert small <= 32, small  # PostgreSQL's streamed cursors: the 2 more
    # requirement codes aggregated in SQL, sorted
    assert rows[1][rows[0].index("Requirements")] == "GRI-14-14.13, IRMA-3.7.1"


def grow_the_estate(sites: int, owner_id: int, make_site, requirement_ids: list[int]) -> None:
    """Sites with ASM observed this year, risks and controls there, the controls linked to the
    requirements, and an engagement following up one of them."""
    for _ in range(sites):
        site = make_site()
        observe(site, observed_on=date(today().year, 1, 1))
        add_risks(4, owner_id, site.id, requirement_ids)
        unlinked = sa.select(Control.id).where(~Control.id.in_(sa.select(control_requirements.c.control_id)))
        db.session.execute(
            sa.insert(control_requirements),
            [
                {"control_id": c, "requirement_id": r}
                for c in db.session.scalars(unlinked)
                for r in requirement_ids
            ],
        )
        follow_up = db.session.scalar(
            sa.select(risk_controls.c.control_id)
            .join(Risk, Risk.id == risk_controls.c.risk_id)
            .where(Risk.site_id == site.id)
            .limit(1)
        )
        values = {"held_on": today(), "stakeholder_group": "traders", "mode": "direct", "topics": "Prices"}
        engagements.add_engagement(site, {**values, "follow_up_controls": [follow_up]}, actor=None)
        db.session.commit()


def test_query_count_does_not_grow_with_sites_monitoring_and_coverage(app, users, make_site):
    requirement_ids = requirements()  # IRMA: one of the company's frameworks by default
    grow_the_estate(1, users["risk_manager"].id, make_site, requirement_ids)
    small, data = export_statements()
    assert len(calamine_rows(data, "Coverage")) == 1 + 2 * 2  # two requirements x (one site + Group)
    grow_the_estate(6, users["risk_manager"].id, make_site, requirement_ids)
    large, data = export_statements()
    coverage = calamine_rows(data, "Coverage")
    assert len(coverage) == 1 + 2 * 8 and {row[6] for row in coverage[1:]} == {"Planned only"}
    assert all(row[10] == 1 for row in coverage[1:] if row[5] != "Group (corporate)")  # an engagement each
    disclosure = {row[0]: row[1] for row in calamine_rows(data, "ASM disclosure") if row and row[0]}
    assert disclosure["Operating sites"] == 7 and disclosure["Percentage"] == 1.0
    assert small == large, (small, large)
    assert small <= 33, small  # as above, with a site with ASM


def test_rows_come_lazily_with_counts_from_sql(app, users, make_site, monkeypatch):
    site = make_site()
    add_risks(25, users["risk_manager"].id, site.id, [])
    monkeypatch.setattr(queries, "CHUNK", 7)  # several fetches from the one cursor
    rows = queries.register_rows(RiskFilters(), date(2026, 1, 1))
    first = next(rows)  # a generator: nothing is loaded before it is asked for
    seen = [first, *rows]
    assert len(seen) == 25 and all(row["controls"] == 1 for row in seen)
    assert all(row["overdue_controls"] == 1 and row["requirements"] == "" for row in seen)
    assert len(list(queries.register_rows(RiskFilters(), date(2019, 1, 1)))) == 25


def test_the_export_keeps_the_register_order_for_every_sort(clients, users, make_site, make_risk):
    import re

    from riskreg.risks.filters import SORT_COLUMNS

    north, south = make_site(name="North"), make_site(name="South")
    for n, (site, owner, residual) in enumerate(
        [(south, "admin", (3, 4)), (None, "executive", (4, 3)), (north, "risk_manager", (2, 5))]
    ):
        make_risk(
            title=f"Risk {3 - n}",
            site_id=site.id if site else None,
            owner_id=users[owner].id,
            inherent_likelihood=5,
            inherent_impact=5,
            residual_likelihood=residual[0],
            residual_impact=residual[1],
        )
    for key in SORT_COLUMNS:
        for sort in (key, f"-{key}"):
            page = clients["executive"].get(f"/risks?sort={sort}").get_data(as_text=True)
            on_screen = re.findall(r">(R-\d{4})</a></td>", page)
            exported = [row["ref"] for row in queries.register_rows(RiskFilters(sort=sort), today())]
            assert exported == on_screen and len(exported) == 3, sort
