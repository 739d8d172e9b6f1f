"""Rules of the stakeholder map and the engagement plans; audited, flushed, committed by the view."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from riskreg import audit
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites.models import OecdLegitimacy
from riskreg.stakeholders.models import LEVELS, EngagementPlan, Stakeholder, StakeholderType

STAKEHOLDER_FIELDS = (
    "name",
    "type",
    "influence",
    "interest",
    "oecd_legitimacy",
    "languages",
    "preferred_channel",
    "consent_noted",
    "contact_person",
    "notes",
)
# The requirements an engagement plan is evidence for (when they are in the catalogue).
ENGAGEMENT_REQUIREMENTS = ("RJC-COP-35", "IRMA-3.6", "OECD-MSE-ANNEXE")
PLAN_FIELDS = (
    "year",
    "stakeholder_id",
    "purpose",
    "planned_count",
    "frequency",
    "channel",
    "owner_department_id",
)


class StakeholderError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _level(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        level = int(value)
    except (TypeError, ValueError) as exc:
        raise StakeholderError(field, "Give a level from 1 (very low) to 5 (very high).") from exc
    if level not in LEVELS:
        raise StakeholderError(field, "Give a level from 1 (very low) to 5 (very high).")
    return level


def check_stakeholder(data: dict[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise StakeholderError("name", "Name the group or organisation.")
    try:
        kind = StakeholderType(data.get("type"))
    except ValueError as exc:
        raise StakeholderError("type", "Choose the type of stakeholder.") from exc
    consent = bool(data.get("consent_noted"))
    contact = (data.get("contact_person") or "").strip()
    if contact and not consent:
        raise StakeholderError(
            "contact_person", "A contact person is recorded only where their consent is noted: tick consent."
        )
    legitimacy = data.get("oecd_legitimacy") or OecdLegitimacy.NOT_ASSESSED
    return {
        "name": name,
        "type": kind,
        "influence": _level(data.get("influence"), "influence"),
        "interest": _level(data.get("interest"), "interest"),
        "oecd_legitimacy": OecdLegitimacy(legitimacy),
        "languages": (data.get("languages") or "").strip(),
        "preferred_channel": (data.get("preferred_channel") or "").strip(),
        "consent_noted": consent,
        "contact_person": contact,
        "notes": (data.get("notes") or "").strip(),
    }


def create_stakeholder(site: Any, data: dict[str, Any], actor: Any) -> Stakeholder:
    values = check_stakeholder(data)
    stakeholder = Stakeholder(site_id=site.id, **values)
    db.session.add(stakeholder)
    db.session.flush()
    snapshot = audit.snapshot(stakeholder, STAKEHOLDER_FIELDS)
    changes = {k: [None, v] for k, v in snapshot.items() if v not in (None, "", False)}
    audit.record("stakeholder", stakeholder.id, "create", actor, changes, f"At {site.name}")
    return stakeholder


def create_plan(site: Any, data: dict[str, Any], actor: Any) -> EngagementPlan:
    stakeholder = db.session.get(Stakeholder, int(data.get("stakeholder_id") or 0))
    if stakeholder is None:
        raise StakeholderError("stakeholder_id", "Choose the stakeholder the plan is for.")
    if stakeholder.site_id != site.id:
        raise StakeholderError("stakeholder_id", f"{stakeholder.name} is a stakeholder of another site.")
    year = data.get("year")
    if not isinstance(year, int) or not (2000 <= year <= today().year + 5):
        raise StakeholderError("year", f"Give a year from 2000 to {today().year + 5}.")
    planned = data.get("planned_count")
    if not isinstance(planned, int) or planned < 0 or planned > 365:
        raise StakeholderError("planned_count", "Give the number of engagements planned (0 to 365).")
    exists = db.session.scalar(
        sa.select(EngagementPlan.id).where(
            EngagementPlan.stakeholder_id == stakeholder.id, EngagementPlan.year == year
        )
    )
    if exists:
        raise StakeholderError("stakeholder_id", f"{stakeholder.name} already has a plan for {year}.")
    plan = EngagementPlan(
        site_id=site.id,
        year=year,
        stakeholder_id=stakeholder.id,
        purpose=(data.get("purpose") or "").strip(),
        planned_count=planned,
        frequency=(data.get("frequency") or "").strip(),
        channel=(data.get("channel") or "").strip(),
        owner_department_id=data.get("owner_department_id") or None,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(plan)
    db.session.flush()
    from riskreg.stakeholders.models import plan_requirements
    from riskreg.standards.models import Requirement

    requirements = list(
        db.session.execute(
            sa.select(Requirement.id, Requirement.code).where(Requirement.code.in_(ENGAGEMENT_REQUIREMENTS))
        )
    )
    if requirements:
        db.session.execute(
            sa.insert(plan_requirements),
            [{"plan_id": plan.id, "requirement_id": rid} for rid, _ in requirements],
        )
    snapshot = audit.snapshot(plan, PLAN_FIELDS)
    changes = {k: [None, v] for k, v in snapshot.items() if v not in (None, "")}
    if requirements:
        changes["requirements"] = [None, sorted(code for _, code in requirements)]
    refs = _link_risks(plan, site, data.get("risk_ids") or [])
    if refs:
        changes["risks"] = [None, refs]
    audit.record("engagement_plan", plan.id, "create", actor, changes, f"{stakeholder.name}, {year}")
    return plan


def risk_choices(site: Any) -> list[tuple[int, str]]:
    """Risks a plan of this site may link: the site's and corporate ones, not archived."""
    from riskreg.risks.models import Risk, RiskStatus

    rows = db.session.execute(
        sa.select(Risk.id, Risk.ref, Risk.title)
        .where(sa.or_(Risk.site_id == site.id, Risk.site_id.is_(None)), Risk.status != RiskStatus.ARCHIVED)
        .order_by(Risk.id)
    )
    return [(rid, f"{ref} {title}") for rid, ref, title in rows]


def _link_risks(plan: EngagementPlan, site: Any, risk_ids: list[Any]) -> list[str]:
    from riskreg.stakeholders.models import plan_risks

    wanted = sorted({int(r) for r in risk_ids})
    if not wanted:
        return []
    allowed = dict(risk_choices(site))
    unknown = [r for r in wanted if r not in allowed]
    if unknown:
        raise StakeholderError("risk_ids", "Link risks of this site (or corporate ones) only.")
    db.session.execute(sa.insert(plan_risks), [{"plan_id": plan.id, "risk_id": r} for r in wanted])
    return [allowed[r].split(" ", 1)[0] for r in wanted]
