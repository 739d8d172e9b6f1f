"""Changes to risks: create, update (with optimistic locking), archive, restore. Each is audited.

Services flush and never commit: the view commits once, so the change and its audit event land
together or not at all.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from riskreg import audit
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks.models import Risk, RiskStatus, format_ref

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "title",
    "description",
    "cause",
    "consequence",
    "site_id",
    "direction",
    "category",
    "impact_area",
    "owner_id",
    "inherent_likelihood",
    "inherent_impact",
    "residual_likelihood",
    "residual_impact",
    "target_likelihood",
    "target_impact",
    "target_date",
    "treatment",
    "status",
    "trend",
    "next_review_date",
)
RESIDUAL_FIELDS = ("residual_likelihood", "residual_impact")
AUDITED_FIELDS = ("ref", *EDITABLE_FIELDS)


def audit_values(risk: Risk) -> dict[str, Any]:
    """The risk's fields as the History tab shows them: the site and owner by name, not by id."""
    from riskreg.auth.models import User
    from riskreg.sites.models import Site

    values = audit.snapshot(risk, AUDITED_FIELDS)
    site_id, owner_id = values.pop("site_id"), values.pop("owner_id")
    with db.session.no_autoflush:  # looking names up must not write the edit half-way (one version bump)
        site = db.session.get(Site, site_id) if site_id else None
        owner = db.session.get(User, owner_id) if owner_id else None
    values["site"] = site.name if site else "Corporate"
    values["owner"] = owner.name if owner else None
    return values


class RiskConflict(Exception):
    """Someone saved the risk after the editor opened it."""

    def __init__(self, risk: Risk) -> None:
        super().__init__(f"{risk.ref} was changed by someone else")
        self.risk = risk


class RiskRuleError(ValueError):
    """The change breaks a rule of the register; `field` names the field to show it against."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_rules(values: dict[str, Any]) -> None:
    if values["status"] == RiskStatus.ARCHIVED:
        raise RiskRuleError("status", "Use the Archive button to archive a risk.")
    if (values.get("target_likelihood") is None) != (values.get("target_impact") is None):
        raise RiskRuleError("target_impact", "Give both a target likelihood and a target impact, or neither.")


def _check_requirements(data: dict[str, Any]) -> None:
    """Unknown requirement codes are refused before anything is written."""
    if data.get("requirements") is None:
        return
    from riskreg.standards.links import LinkError, resolve_codes

    try:
        resolve_codes(list(data["requirements"]))
    except LinkError as error:
        raise RiskRuleError("requirements", str(error)) from error


def _link_requirements(risk: Risk, data: dict[str, Any]) -> list[list[str]] | None:
    """Links to standard requirements, when the data carries them (a list of codes)."""
    if data.get("requirements") is None:
        return None
    from riskreg.standards.links import set_risk_requirements

    return set_risk_requirements(risk, list(data["requirements"]))


def create_risk(data: dict[str, Any], actor: Any) -> Risk:
    values = {name: data.get(name) for name in EDITABLE_FIELDS}
    check_rules(values)
    _check_requirements(data)
    risk = Risk(**values, created_by_id=getattr(actor, "id", None), template_code=data.get("template_code"))
    db.session.add(risk)
    db.session.flush()
    risk.ref = format_ref("R", risk.id)
    linked = _link_requirements(risk, data)
    db.session.flush()
    after = audit_values(risk)
    changes = {k: [None, v] for k, v in after.items() if v is not None}
    if linked:
        changes["requirements"] = [None, linked[1]]
    audit.record("risk", risk.id, "create", actor, changes)
    logger.debug("risk %s created by %s", risk.ref, getattr(actor, "id", None))
    return risk


def update_risk(
    risk: Risk, data: dict[str, Any], actor: Any, expected_version: int | None
) -> dict[str, list]:
    """Apply the edit; raise RiskConflict when the risk moved on since the editor loaded it."""
    if expected_version is not None and expected_version != risk.version:
        raise RiskConflict(risk)
    values = {name: data.get(name) for name in EDITABLE_FIELDS}
    check_rules(values)
    _check_requirements(data)
    before = audit_values(risk)
    for name, value in values.items():
        setattr(risk, name, value)
    changes = audit.diff(before, audit_values(risk))
    linked = _link_requirements(risk, data)
    if linked:
        changes["requirements"] = linked
    if any(name in changes for name in RESIDUAL_FIELDS) or data.get("confirm_residual"):
        risk.residual_assessed_at = utcnow()
    if changes:
        db.session.flush()
        audit.record("risk", risk.id, "update", actor, changes)
        from riskreg.indicators.reviews import after_risk_update  # a reassessment answers review flags

        after_risk_update(risk, changes, actor)
    return changes


def archive_risk(risk: Risk, actor: Any, reason: str = "") -> None:
    if risk.status is RiskStatus.ARCHIVED:
        raise RiskRuleError("status", f"{risk.ref} is already archived.")
    old = risk.status
    risk.status = RiskStatus.ARCHIVED
    db.session.flush()
    audit.record(
        "risk", risk.id, "archive", actor, {"status": [old.value, RiskStatus.ARCHIVED.value]}, reason
    )


def restore_risk(risk: Risk, actor: Any) -> None:
    """Back to the status it had before it was archived (open if that is unknown)."""
    if risk.status is not RiskStatus.ARCHIVED:
        raise RiskRuleError("status", f"{risk.ref} is not archived.")
    last_archive = db.session.scalar(
        sa.select(audit.AuditEvent)
        .where(
            audit.AuditEvent.entity == "risk",
            audit.AuditEvent.entity_id == risk.id,
            audit.AuditEvent.action == "archive",
        )
        .order_by(audit.AuditEvent.id.desc())
        .limit(1)
    )
    previous = RiskStatus.OPEN
    if last_archive is not None:
        previous = RiskStatus(last_archive.changes.get("status", ["open"])[0] or "open")
    risk.status = previous
    db.session.flush()
    audit.record("risk", risk.id, "restore", actor, {"status": [RiskStatus.ARCHIVED.value, previous.value]})


def confirm_residual(risk: Risk, actor: Any) -> None:
    """The risk manager reassessed the residual score and keeps it as it is."""
    risk.residual_assessed_at = utcnow()
    db.session.flush()
    audit.record("risk", risk.id, "reassess", actor, {}, "Residual score reviewed and confirmed")
