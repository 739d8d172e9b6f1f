"""Rules of the stakeholder map and the engagement plans; audited, flushed, committed by the view."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import flag_modified

from riskreg import audit
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites.models import OecdLegitimacy
from riskreg.stakeholders.models import (
    LEVELS,
    EngagementPlan,
    Stakeholder,
    StakeholderType,
    plan_requirements,
    plan_risks,
)

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
        raise StakeholderError(field, _l("Give a level from 1 (very low) to 5 (very high).")) from exc
    if level not in LEVELS:
        raise StakeholderError(field, _l("Give a level from 1 (very low) to 5 (very high)."))
    return level


def check_stakeholder(data: dict[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise StakeholderError("name", _l("Name the group or organisation."))
    try:
        kind = StakeholderType(data.get("type"))
    except ValueError as exc:
        raise StakeholderError("type", _l("Choose the type of stakeholder.")) from exc
    consent = bool(data.get("consent_noted"))
    contact = (data.get("contact_person") or "").strip()
    if contact and not consent:
        raise StakeholderError(
            "contact_person",
            _l("A contact person is recorded only where their consent is noted: tick consent."),
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
        raise StakeholderError("stakeholder_id", _l("Choose the stakeholder the plan is for."))
    if stakeholder.site_id != site.id:
        raise StakeholderError(
            "stakeholder_id", _l("%(name)s is a stakeholder of another site.", name=stakeholder.name)
        )
    if not stakeholder.active:
        raise StakeholderError(
            "stakeholder_id", _l("%(name)s is retired: restore it to plan with it.", name=stakeholder.name)
        )
    year = data.get("year")
    if not isinstance(year, int) or not (2000 <= year <= today().year + 5):
        raise StakeholderError("year", _l("Give a year from 2000 to %(last)s.", last=today().year + 5))
    planned = _planned(data.get("planned_count"))
    exists = db.session.scalar(
        sa.select(EngagementPlan.id).where(
            EngagementPlan.stakeholder_id == stakeholder.id, EngagementPlan.year == year
        )
    )
    if exists:
        raise StakeholderError(
            "stakeholder_id",
            _l("%(name)s already has a plan for %(year)s.", name=stakeholder.name, year=year),
        )
    plan = EngagementPlan(
        site_id=site.id,
        year=year,
        stakeholder_id=stakeholder.id,
        planned_count=planned,
        **_plan_texts(data),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(plan)
    db.session.flush()
    codes = _link_requirements(plan, data.get("requirement_ids"))
    snapshot = audit.snapshot(plan, PLAN_FIELDS)
    changes = {k: [None, v] for k, v in snapshot.items() if v not in (None, "")}
    if codes:
        changes["requirements"] = [None, codes]
    refs = _link_risks(plan, site, data.get("risk_ids") or [])
    if refs:
        changes["risks"] = [None, refs]
    audit.record("engagement_plan", plan.id, "create", actor, changes, f"{stakeholder.name}, {year}")
    return plan


def _planned(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 365:
        raise StakeholderError("planned_count", _l("Give the number of engagements planned (0 to 365)."))
    return value


def _plan_texts(data: dict[str, Any]) -> dict[str, Any]:
    """The plan's free fields and owner department, checked."""
    from riskreg.departments.models import Department

    department_id = data.get("owner_department_id") or None
    if department_id is not None and db.session.get(Department, int(department_id)) is None:
        raise StakeholderError(
            "owner_department_id", _l("There is no department with id %(id)s.", id=department_id)
        )
    values = {}
    for name, limit in (("purpose", 5_000), ("frequency", 120), ("channel", 120)):
        text = (data.get(name) or "").strip()
        if len(text) > limit:
            raise StakeholderError(name, _l("Keep this under %(limit)s characters.", limit=limit))
        values[name] = text
    return values | {"owner_department_id": department_id}


def default_requirement_ids() -> list[int]:
    """The plan form's preselection: RJC COP 35, IRMA 3.6 and OECD Annex E, those in the catalogue."""
    from riskreg.standards.models import Requirement

    return list(
        db.session.scalars(
            sa.select(Requirement.id)
            .where(Requirement.code.in_(ENGAGEMENT_REQUIREMENTS))
            .order_by(Requirement.id)
        )
    )


def requirement_choices() -> list[tuple[int, str]]:
    """Every requirement of the catalogue, by framework: what a plan may be evidence for."""
    from riskreg.standards.models import Requirement

    rows = db.session.execute(
        sa.select(
            Requirement.id, Requirement.framework_key, Requirement.identifier, Requirement.title
        ).order_by(Requirement.framework_key, Requirement.code)
    )
    from riskreg.i18n.reference import translate

    return [(rid, f"{key} {identifier} · {translate(title)}") for rid, key, identifier, title in rows]


def _requirement_codes(requirement_ids: Any) -> dict[int, str]:
    """{id: code} of the chosen requirements; an id not in the catalogue is refused."""
    from riskreg.standards.models import Requirement

    if requirement_ids is None:  # not given (a caller other than the form): the default three
        requirement_ids = default_requirement_ids()
    try:
        wanted = sorted({int(r) for r in requirement_ids})
    except (TypeError, ValueError) as exc:
        raise StakeholderError("requirement_ids", _l("Choose requirements from the catalogue.")) from exc
    if not wanted:
        return {}
    found = dict(
        db.session.execute(
            sa.select(Requirement.id, Requirement.code).where(Requirement.id.in_(wanted))
        ).all()
    )
    unknown = [str(r) for r in wanted if r not in found]
    if unknown:
        raise StakeholderError(
            "requirement_ids",
            _l(
                "There is no requirement with id %(ids)s in the catalogue: choose from the list.",
                ids=", ".join(unknown),
            ),
        )
    return found


def _link_requirements(plan: EngagementPlan, requirement_ids: Any) -> list[str]:
    found = _requirement_codes(requirement_ids)
    if found:
        db.session.execute(
            sa.insert(plan_requirements), [{"plan_id": plan.id, "requirement_id": rid} for rid in found]
        )
    return sorted(found.values())


def plan_links(plan_id: int) -> tuple[list[int], list[int]]:
    """The plan's linked risk ids and requirement ids."""
    risks = db.session.scalars(sa.select(plan_risks.c.risk_id).where(plan_risks.c.plan_id == plan_id))
    requirements = db.session.scalars(
        sa.select(plan_requirements.c.requirement_id).where(plan_requirements.c.plan_id == plan_id)
    )
    return sorted(risks), sorted(requirements)


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
    wanted = sorted({int(r) for r in risk_ids})
    if not wanted:
        return []
    allowed = dict(risk_choices(site))
    unknown = [r for r in wanted if r not in allowed]
    if unknown:
        raise StakeholderError("risk_ids", _l("Link risks of this site (or corporate ones) only."))
    db.session.execute(sa.insert(plan_risks), [{"plan_id": plan.id, "risk_id": r} for r in wanted])
    return [allowed[r].split(" ", 1)[0] for r in wanted]


# --- editing, retiring, restoring --------------------------------------------------------------

STAKEHOLDER_ENTITY, PLAN_ENTITY = "stakeholder", "engagement_plan"
# What the plan's edit page changes: who and which year are the plan itself (make a new plan for those).
PLAN_OWN_FIELDS = ("planned_count", "frequency", "channel", "purpose", "owner_department_id")
PLAN_EDIT_FIELDS = (*PLAN_OWN_FIELDS, "risk_ids", "requirement_ids")


class Retired(StakeholderError):
    """A retired stakeholder or plan is restored, not edited."""

    def __init__(self, message: str) -> None:
        super().__init__("", message)


def update_stakeholder(stakeholder: Stakeholder, data: dict[str, Any], actor: Any) -> dict:
    """Change a stakeholder's fields; old and new values audited."""
    if not stakeholder.active:
        raise Retired(_l("%(name)s is retired: restore it before editing it.", name=stakeholder.name))
    values = check_stakeholder(data)
    before = audit.snapshot(stakeholder, STAKEHOLDER_FIELDS)
    for name, value in values.items():
        setattr(stakeholder, name, value)
    changes = audit.diff(before, audit.snapshot(stakeholder, STAKEHOLDER_FIELDS))
    if changes:
        db.session.flush()
        audit.record(STAKEHOLDER_ENTITY, stakeholder.id, "update", actor, changes, stakeholder.name)
    return changes


def set_stakeholder_active(stakeholder: Stakeholder, active: bool, actor: Any) -> dict:
    """Retire (off the map, the lists, the pickers and the KPIs; kept on old engagements and
    grievances) or restore a stakeholder."""
    if stakeholder.active == active:
        return {}
    stakeholder.active = active
    db.session.flush()
    changes = {"active": [not active, active]}
    action = "restore" if active else "retire"
    audit.record(STAKEHOLDER_ENTITY, stakeholder.id, action, actor, changes, stakeholder.name)
    return changes


def plan_values(plan: EngagementPlan) -> dict[str, Any]:
    risks, requirements = plan_links(plan.id)
    return {name: getattr(plan, name) for name in PLAN_OWN_FIELDS} | {
        "risk_ids": risks,
        "requirement_ids": requirements,
    }


def _codes(column: Any, code: Any, ids: list[int]) -> list[str]:
    """The refs (or codes) of the ids, for the audit trail."""
    if not ids:
        return []
    return sorted(db.session.scalars(sa.select(code).where(column.in_(ids))))


def update_plan(plan: EngagementPlan, site: Any, data: dict[str, Any], actor: Any) -> dict:
    """Change a plan's numbers, texts and links; old and new values audited (links by ref/code)."""
    from riskreg.risks.models import Risk
    from riskreg.standards.models import Requirement

    if not plan.active:
        raise Retired(_l("The plan is retired: restore it before editing it."))
    planned = _planned(data.get("planned_count"))
    texts = _plan_texts(data)
    old = plan_values(plan)
    wanted_risks = sorted({int(r) for r in data.get("risk_ids") or []})
    allowed = {rid for rid, _ in risk_choices(site)} | set(old["risk_ids"])  # an archived one stays linked
    if any(r not in allowed for r in wanted_risks):
        raise StakeholderError("risk_ids", _l("Link risks of this site (or corporate ones) only."))
    requirements = _requirement_codes(data.get("requirement_ids") or [])
    before = audit.snapshot(plan, PLAN_OWN_FIELDS)
    plan.planned_count = planned
    for name, value in texts.items():
        setattr(plan, name, value)
    changes = audit.diff(before, audit.snapshot(plan, PLAN_OWN_FIELDS))
    if wanted_risks != old["risk_ids"]:
        db.session.execute(sa.delete(plan_risks).where(plan_risks.c.plan_id == plan.id))
        if wanted_risks:
            db.session.execute(
                sa.insert(plan_risks), [{"plan_id": plan.id, "risk_id": r} for r in wanted_risks]
            )
        changes["risks"] = [
            _codes(Risk.id, Risk.ref, old["risk_ids"]),
            _codes(Risk.id, Risk.ref, wanted_risks),
        ]
    if sorted(requirements) != old["requirement_ids"]:
        db.session.execute(sa.delete(plan_requirements).where(plan_requirements.c.plan_id == plan.id))
        _link_requirements(plan, list(requirements))
        changes["requirements"] = [
            _codes(Requirement.id, Requirement.code, old["requirement_ids"]),
            sorted(requirements.values()),
        ]
    if changes:
        flag_modified(plan, "planned_count")  # a change of links alone still moves the version
        db.session.flush()
        audit.record(PLAN_ENTITY, plan.id, "update", actor, changes, _plan_note(plan))
    return changes


def _plan_note(plan: EngagementPlan) -> str:
    stakeholder = db.session.get(Stakeholder, plan.stakeholder_id)
    return f"{stakeholder.name if stakeholder else 'A stakeholder'}, {plan.year}"


def held_against(plan: EngagementPlan) -> int:
    """Engagements logged with the plan's stakeholder in the plan's year: they count against it."""
    from riskreg.stakeholders.queries import held_in_year

    return held_in_year([plan.stakeholder_id], plan.year).get(plan.stakeholder_id, 0)


def set_plan_active(plan: EngagementPlan, active: bool, actor: Any) -> dict:
    """Retire a plan (off planned against held) or restore it (not for a retired stakeholder)."""
    if plan.active == active:
        return {}
    if active:
        stakeholder = db.session.get(Stakeholder, plan.stakeholder_id)
        if stakeholder is not None and not stakeholder.active:
            raise Retired(
                _l("%(name)s is retired: restore the stakeholder before its plan.", name=stakeholder.name)
            )
    plan.active = active
    db.session.flush()
    changes = {"active": [not active, active]}
    audit.record(PLAN_ENTITY, plan.id, "restore" if active else "retire", actor, changes, _plan_note(plan))
    return changes


def delete_plan(plan: EngagementPlan, actor: Any) -> dict:
    """Delete a plan nothing counts against (no engagement held with its stakeholder in its year);
    otherwise it is retired, so that what was held keeps its plan. Every old value audited."""
    held = held_against(plan)
    if held:
        raise StakeholderError(
            "",
            _l(
                "%(held)s engagement(s) held in %(year)s count against this plan: retire it instead.",
                held=held,
                year=plan.year,
            ),
        )
    old = audit.snapshot(plan, PLAN_FIELDS) | {"active": plan.active}
    risks, requirements = plan_links(plan.id)
    from riskreg.risks.models import Risk
    from riskreg.standards.models import Requirement

    changes = {name: [value, None] for name, value in old.items() if value not in (None, "")}
    if risks:
        changes["risks"] = [_codes(Risk.id, Risk.ref, risks), None]
    if requirements:
        changes["requirements"] = [
            _codes(Requirement.id, Requirement.code, requirements),
            None,
        ]
    note, plan_id = _plan_note(plan), plan.id
    db.session.execute(sa.delete(plan_risks).where(plan_risks.c.plan_id == plan_id))
    db.session.execute(sa.delete(plan_requirements).where(plan_requirements.c.plan_id == plan_id))
    db.session.delete(plan)
    db.session.flush()
    audit.record(PLAN_ENTITY, plan_id, "delete", actor, changes, note)
    return changes
