"""`flask seed demo`: demo sites, users, a register from the templates, and the ASM monitoring demo
(standards, controls, observations, engagements; see monitoring_demo.py). Idempotent."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from riskreg import mail, reference
from riskreg.auth import services as auth_services
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import services as risk_services
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment
from riskreg.seeding.demo_controls import load_controls
from riskreg.seeding.monitoring_demo import load_monitoring_demo
from riskreg.seeding.reference import load_departments, risk_templates
from riskreg.sites.models import AsmApproach, AsmPresence, Lifecycle, PresenceSource, Site

logger = logging.getLogger(__name__)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + count

    def __str__(self) -> str:
        if not any(self.created.values()):
            return "Nothing to do: the demo data is already there."
        return "Created " + ", ".join(f"{n} {kind}" for kind, n in self.created.items() if n) + "."


def demo_data() -> dict:
    return reference.seed_file("demo.toml")


def load_demo() -> SeedReport:
    """The demo register; its made-up events (assignments, triggers...) notify nobody."""
    with mail.quiet():
        return _load_demo()


def _load_demo() -> SeedReport:
    report = SeedReport()
    data = demo_data()
    report.add("departments", load_departments())
    sites = _load_sites(data, report)
    users = _load_users(data, report)
    _load_risks(data, sites, users, report)
    load_controls(data, users, report)
    load_monitoring_demo(data, sites, users, report)  # standards, controls, observations, engagements
    db.session.flush()
    from riskreg.dashboard.demo import load_demo_history  # the dashboard's trend: past months

    report.add("band snapshot rows", load_demo_history())
    return report


def _load_sites(data: dict, report: SeedReport) -> dict[str, Site]:
    sites = {s.name: s for s in db.session.scalars(sa.select(Site))}
    for item in data["sites"]:
        if item["name"] in sites:
            continue
        site = Site(
            name=item["name"],
            country=item["country"],
            region=item.get("region", ""),
            commodity=item.get("commodity", ""),
            latitude=item.get("latitude"),
            longitude=item.get("longitude"),
            lifecycle=Lifecycle(item["lifecycle"]),
            asm_presence=AsmPresence(item["asm_presence"]),
            asm_presence_source=PresenceSource.OBSERVATIONS,
            asm_approach=AsmApproach(item["asm_approach"]),
            description=item.get("description", ""),
        )
        db.session.add(site)
        sites[site.name] = site
        report.add("sites")
    db.session.flush()
    return sites


def _load_users(data: dict, report: SeedReport) -> dict[str, User]:
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    for item in data["users"]:
        if item["email"] in users:
            continue
        users[item["email"]] = auth_services.create_user(
            email=item["email"],
            name=item["name"],
            role=item["role"],
            password=data["password"],
            department=item.get("department"),
        )
        report.add("users")
    return users


def _load_risks(data: dict, sites: dict[str, Site], users: dict[str, User], report: SeedReport) -> None:
    templates = risk_templates()
    existing = {
        (title, site_id) for title, site_id in db.session.execute(sa.select(Risk.title, Risk.site_id))
    }
    actor = users.get("risk@example.com")
    for item in data["risks"]:
        template = templates[item["template"]]
        site = sites.get(item["site"]) if item["site"] else None
        site_id = site.id if site else None
        if (template["title"], site_id) in existing:
            continue
        (il, ii), (rl, ri) = item["inherent"], item["residual"]
        risk_services.create_risk(
            {
                "title": template["title"],
                "description": template["description"],
                "cause": template["cause"],
                "consequence": template["consequence"],
                "site_id": site_id,
                "direction": Direction(template["direction"]),
                "category": template["category"],
                "impact_area": ImpactArea.usual_for(template["category"]),
                "owner_id": users[item["owner"]].id,
                "inherent_likelihood": il,
                "inherent_impact": ii,
                "residual_likelihood": rl,
                "residual_impact": ri,
                "treatment": Treatment(item["treatment"]),
                "status": RiskStatus(item["status"]),
                "next_review_date": today() + timedelta(days=item["review_in_days"]),
                "template_code": template["code"],
            },
            actor=actor,
        )
        existing.add((template["title"], site_id))
        report.add("risks")


def demo_logins() -> list[tuple[str, str, str]]:
    data = demo_data()
    return [(u["email"], u["role"], data["password"]) for u in data["users"]]
