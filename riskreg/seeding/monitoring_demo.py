"""`flask seed demo`, ASM part: the standards catalogue, requirement links of the demo risks, the
controls that engagements follow up, 18 months of observations and engagements, and the key risk
indicators replayed over them (indicators_demo.py; idempotent)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from riskreg import audit
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.modeling import today, utcnow
from riskreg.risks.models import Risk, format_ref, risk_requirements
from riskreg.seeding.reference import risk_templates
from riskreg.sites import engagements as engagement_services
from riskreg.sites import monitoring
from riskreg.sites.models import AsmObservation, Engagement, Site
from riskreg.standards import links
from riskreg.standards.catalogue import load_standards

OBSERVATION_KEYS = {
    "location": "location",
    "distance_km": "distance_km",
    "miners": "miners_estimate",
    "minerals": "minerals",
    "activity": "activity_type",
    "mercury": "mercury_use",
    "cyanide": "cyanide_use",
    "children": "children_seen",
    "women": "women_participation",
    "incident": "security_incident",
    "formalisation": "formalisation_status",
    "legitimacy": "oecd_legitimacy",
    "source": "source",
    "notes": "notes",
}


def demo_date(item: dict[str, Any]) -> date:
    """`days_ago` before today; `in_this_year` keeps it on or after 1 January of this year."""
    on = today() - timedelta(days=int(item["days_ago"]))
    if item.get("in_this_year"):
        on = max(on, date(today().year, 1, 1))
    return on


def load_monitoring_demo(data: dict, sites: dict[str, Site], users: dict[str, User], report: Any) -> None:
    report.add("standard requirements", len(load_standards().created))
    actor = users.get("risk@example.com")
    demo_risks = _demo_risks(data, sites)
    _link_requirements(demo_risks, actor, report)
    controls = _load_controls(data, demo_risks, users, actor, report)
    for block in data.get("monitoring", []):
        site = sites[block["site"]]
        _load_observations(site, block, actor, report)
        _load_engagements(site, block, controls, actor, report)
    from riskreg.seeding.indicators_demo import load_indicators_demo  # after the monitoring it replays

    load_indicators_demo(sites, users, report)
    from riskreg.seeding.stakeholders_demo import load_stakeholders_demo  # the engagements it links

    load_stakeholders_demo(sites, users, report)


def _demo_risks(data: dict, sites: dict[str, Site]) -> dict[tuple[str, str], Risk]:
    """The demo register's risks by (template code, site name; "" for corporate)."""
    by_key = {(r.template_code, r.site_id): r for r in db.session.scalars(sa.select(Risk))}
    found = {}
    for item in data["risks"]:
        site_id = sites[item["site"]].id if item["site"] else None
        risk = by_key.get((item["template"], site_id))
        if risk is not None:
            found[(item["template"], item["site"])] = risk
    return found


def _link_requirements(demo_risks: dict[tuple[str, str], Risk], actor: Any, report: Any) -> None:
    """Demo risks without any requirement link get their template's requirements."""
    templates = risk_templates()
    linked = set(db.session.scalars(sa.select(risk_requirements.c.risk_id).distinct()))
    for (code, _), risk in demo_risks.items():
        if risk.id in linked or not templates[code].get("requirements"):
            continue
        change = links.set_risk_requirements(risk, templates[code]["requirements"])
        if change:
            db.session.flush()
            audit.record("risk", risk.id, "update", actor, {"requirements": change}, "Demo data")
            report.add("requirement links", len(change[1]))


def _load_controls(
    data: dict, demo_risks: dict[tuple[str, str], Risk], users: dict[str, User], actor: Any, report: Any
) -> dict[str, int]:
    from riskreg.controls.models import Control, ControlStatus, risk_controls
    from riskreg.controls.rules import default_owner
    from riskreg.departments.models import Department

    departments = dict(db.session.execute(sa.select(Department.name, Department.id)).all())
    titles = [item["title"] for item in data.get("asm_controls", [])]
    existing = dict(
        db.session.execute(sa.select(Control.title, Control.id).where(Control.title.in_(titles))).all()
    )
    for item in data.get("asm_controls", []):
        if item["title"] in existing:
            continue
        risk = demo_risks.get(tuple(item["risk"]))
        status = ControlStatus(item["status"])
        done = status in (ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED)
        owner = users.get(item.get("owner", ""))
        department_id = departments[item["department"]]
        control = Control(
            title=item["title"],
            department_id=department_id,
            owner_id=owner.id if owner else default_owner(department_id),  # as the service would
            status=status,
            due_date=today() + timedelta(days=int(item["due_in_days"])),
            formalisation_support=bool(item.get("formalisation_support", False)),
            closed_at=utcnow() if done else None,
            verified_at=utcnow() if status is ControlStatus.VERIFIED else None,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(control)
        db.session.flush()
        control.ref = format_ref("C", control.id)
        if risk is not None:
            db.session.execute(sa.insert(risk_controls).values(risk_id=risk.id, control_id=control.id))
        links.replace_links("control", control.id, item.get("requirements", []))
        db.session.flush()
        changes = {"ref": [None, control.ref], "title": [None, control.title], "status": [None, status.value]}
        audit.record("control", control.id, "create", actor, changes, "Demo data")
        existing[control.title] = control.id
        report.add("controls")
    return existing


def _load_observations(site: Site, block: dict, actor: Any, report: Any) -> None:
    if db.session.scalar(sa.select(AsmObservation.id).where(AsmObservation.site_id == site.id).limit(1)):
        return
    defaults = block.get("defaults", {})
    for item in sorted(block.get("observations", []), key=lambda i: -int(i["days_ago"])):
        merged = {**defaults, **item}
        values = {field: merged.get(key) for key, field in OBSERVATION_KEYS.items()}
        values["observed_on"] = demo_date(item)
        values["children_seen"] = bool(values["children_seen"])
        values["security_incident"] = bool(values["security_incident"])
        monitoring.add_observation(site, values, actor, refresh=False)
        report.add("observations")
    monitoring.refresh_presence(site, actor)


def _load_engagements(site: Site, block: dict, controls: dict[str, int], actor: Any, report: Any) -> None:
    if db.session.scalar(sa.select(Engagement.id).where(Engagement.site_id == site.id).limit(1)):
        return
    for item in sorted(block.get("engagements", []), key=lambda i: -int(i["days_ago"])):
        values = {
            "held_on": demo_date(item),
            "stakeholder_group": item["group"],
            "mode": item["mode"],
            "topics": item["topics"],
            "grievances": item.get("grievances", ""),
            "formalisation_support": item.get("formalisation_support", False),
            "follow_up_controls": [
                controls[title] for title in item.get("controls", []) if title in controls
            ],
        }
        engagement_services.add_engagement(site, values, actor)
        report.add("engagements")
