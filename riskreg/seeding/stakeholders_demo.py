"""`flask seed demo`, stakeholder part: each site's stakeholder map and this year's engagement plans
(seeds/demo_stakeholders.toml), the demo engagements linked to the stakeholder met, and twelve
months of grievances taken through their steps with a realistic timeliness (most acknowledged and
answered on time, some late, a few appealed, the newest still open). Idempotent per site."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from riskreg import audit, reference
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.grievances import services as grievances
from riskreg.modeling import today
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.sites.models import Engagement, OecdLegitimacy, Site
from riskreg.stakeholders import services
from riskreg.stakeholders.models import Stakeholder

# (category, channel, department, severity, human-rights impact, description)
CASES = [
    (
        "land",
        "in_person",
        "Community Relations",
        3,
        False,
        "Pits of cooperative members filled in by the haul road works without notice.",
    ),
    (
        "compensation",
        "engagement",
        "Community Relations",
        3,
        False,
        "Crop compensation for the access road is unpaid.",
    ),
    (
        "security_conduct",
        "liaison",
        "Security",
        4,
        True,
        "Miners report being beaten during a patrol at the northern pits.",
    ),
    (
        "water",
        "phone",
        "Environment",
        3,
        False,
        "The stream used by the village is muddy since the new sediment pond overflowed.",
    ),
    (
        "livelihoods",
        "in_person",
        "Community Relations",
        2,
        False,
        "Traders say the new access control stops them reaching the market.",
    ),
    (
        "environment",
        "letter",
        "Environment",
        2,
        False,
        "Dust from the crusher settles on the houses near the gate.",
    ),
    (
        "human_rights",
        "hotline",
        "Legal",
        5,
        True,
        "Children are said to be kept from school to work at a pit near the lease.",
    ),
    (
        "health_safety",
        "engagement",
        "Health & Safety",
        3,
        False,
        "A pit wall collapsed next to the company's waste dump; miners ask for help.",
    ),
    (
        "employment",
        "in_person",
        "Community Relations",
        1,
        False,
        "Local hiring quotas are not met, says the youth group.",
    ),
    ("land", "letter", "Legal", 3, False, "A family says part of its land is inside the new fence line."),
]


def load_stakeholders_demo(sites: dict[str, Site], users: dict[str, Any], report: Any) -> None:
    data = reference.seed_file("demo_stakeholders.toml")
    actor = users.get("community.head@example.com") or users.get("risk@example.com")
    officer = users.get("grievance.officer@example.com") or actor
    departments = dict(db.session.execute(sa.select(Department.name, Department.id)).all())
    rng = random.Random(14)  # the same demo every time
    for block in data.get("sites", []):
        site = sites.get(block["site"])
        if site is None or db.session.scalar(
            sa.select(Stakeholder.id).where(Stakeholder.site_id == site.id).limit(1)
        ):
            continue
        mapped = _load_map(site, block, departments, actor, report)
        _link_engagements(site, mapped)
        _hold_engagements(site, mapped, actor, rng, report)
        _load_grievances(site, int(block.get("grievances", 0)), mapped, departments, officer, rng, report)


def _load_map(
    site: Site, block: dict, departments: dict[str, int], actor: Any, report: Any
) -> list[tuple[Stakeholder, dict]]:
    mapped = []
    for item in block["stakeholders"]:
        stakeholder = services.create_stakeholder(
            site,
            {
                "name": item["name"],
                "type": item["type"],
                "influence": item.get("influence"),
                "interest": item.get("interest"),
                "oecd_legitimacy": OecdLegitimacy(item.get("legitimacy", "not_assessed")),
                "languages": item.get("languages", ""),
                "preferred_channel": item.get("channel", ""),
                "consent_noted": bool(item.get("consent")),
                "contact_person": item.get("contact", ""),
            },
            actor,
        )
        report.add("stakeholders")
        if item.get("planned"):
            services.create_plan(
                site,
                {
                    "stakeholder_id": stakeholder.id,
                    "year": today().year,
                    "planned_count": int(item["planned"]),
                    "frequency": item.get("frequency", ""),
                    "channel": item.get("channel", ""),
                    "purpose": f"Engage {item['name']} on ASM risks, formalisation support and grievances.",
                    "owner_department_id": departments.get("Community Relations"),
                },
                actor,
            )
            report.add("engagement plans")
        mapped.append((stakeholder, item))
    return mapped


def _link_engagements(site: Site, mapped: list[tuple[Stakeholder, dict]]) -> None:
    """The demo log's engagements name a stakeholder group: link each to the mapped group of that kind."""
    by_group = {
        item.get("group"): stakeholder.id for stakeholder, item in reversed(mapped) if item.get("group")
    }
    for group, stakeholder_id in by_group.items():
        db.session.execute(
            sa.update(Engagement)
            .where(
                Engagement.site_id == site.id,
                Engagement.stakeholder_group == group,
                Engagement.stakeholder_id.is_(None),
            )
            .values(stakeholder_id=stakeholder_id)
        )


def _hold_engagements(
    site: Site, mapped: list[tuple[Stakeholder, dict]], actor: Any, rng: random.Random, report: Any
) -> None:
    """This year's engagements with the planned stakeholders: most plans on track, some behind."""
    now = today()
    start = date(now.year, 1, 1)
    elapsed = (now - start).days
    for stakeholder, item in mapped:
        planned = int(item.get("planned", 0))
        due_by_now = planned * (elapsed + 1) // 366
        held = max(0, min(due_by_now, round(due_by_now * rng.uniform(0.5, 1.1))))
        for k in range(held):
            held_on = start + timedelta(days=int((k + rng.random()) * elapsed / max(held, 1)))
            engagement = Engagement(
                site_id=site.id,
                held_on=min(held_on, now),
                stakeholder_group=item.get("group", "other"),
                stakeholder_id=stakeholder.id,
                mode="direct",
                topics=f"Planned engagement ({item.get('frequency', 'as planned')}): {item['name']}.",
                recorded_by_id=getattr(actor, "id", None),
            )
            db.session.add(engagement)
            db.session.flush()
            audit.record(
                "engagement",
                engagement.id,
                "create",
                actor,
                {"stakeholder_id": [None, stakeholder.id], "held_on": [None, engagement.held_on.isoformat()]},
                "Demo data",
            )
            report.add("planned engagements held")


def _load_grievances(
    site: Site,
    count: int,
    mapped: list[tuple[Stakeholder, dict]],
    departments: dict[str, int],
    officer: Any,
    rng: random.Random,
    report: Any,
) -> None:
    risks = list(
        db.session.scalars(
            sa.select(Risk).where(
                Risk.site_id == site.id,
                Risk.status != RiskStatus.ARCHIVED,
                Risk.direction.in_([Direction.TO_ASM, Direction.TO_COMMUNITIES]),
            )
        )
    )
    now = today()
    for n in range(count):
        received = now - timedelta(days=int(365 * (count - n) / (count + 1)) + rng.randint(0, 6))
        category, channel, department, severity, rights, description = CASES[n % len(CASES)]
        stakeholder = mapped[rng.randrange(min(3, len(mapped)))][0] if mapped and rng.random() < 0.8 else None
        grievance = grievances.create_grievance(
            {
                "site_id": site.id,
                "stakeholder_id": stakeholder.id if stakeholder else None,
                "anonymous": stakeholder is None,
                "received_on": received,
                "channel": channel,
                "category": category,
                "description": description,
                "severity": severity,
                "human_rights_impact": rights,
                "owner_department_id": departments.get(department),
            },
            officer,
        )
        report.add("grievances")
        if risks and (rights or severity >= 3):
            grievances.link_risk(grievance, risks[n % len(risks)].ref, officer)
        _walk(grievance, received, now, officer, rng)


def _walk(grievance: Any, received: date, now: date, actor: Any, rng: random.Random) -> None:
    """Take the grievance as far as its age allows: mostly on time, sometimes late."""
    on = received

    def step(name: str, days: int, **kwargs: Any) -> bool:
        nonlocal on
        if on + timedelta(days=days) > now:
            return False
        on = on + timedelta(days=days)
        grievances.take_step(grievance, name, on, actor, **kwargs)
        return True

    late = rng.random() < 0.2
    if not step("acknowledged", rng.randint(8, 14) if late else rng.randint(1, 6)):
        return
    if not step("under_investigation", rng.randint(0, 3)):
        return
    response = "Meet the complainants on site, agree a remedy and record it with the liaison committee."
    if not step("response_proposed", rng.randint(20, 40) if late else rng.randint(6, 18), response=response):
        return
    accepted = rng.random() < 0.8
    if not step("resolved" if accepted else "not_resolved", rng.randint(2, 10), accepted=accepted):
        return
    if not accepted and not step("appeal", rng.randint(3, 10), note="Taken to the independent appeal panel"):
        return
    step("closed", rng.randint(3, 15 if accepted else 30))
