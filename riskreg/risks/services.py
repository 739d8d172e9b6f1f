"""Changes to risks: create, update (with optimistic locking), archive, restore. Each is audited.

Services flush and never commit: the view commits once, so the change and its audit event land
together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from riskreg import audit, scoring, text
from riskreg.extensions import db
from riskreg.modeling import today, utcnow
from riskreg.risks.models import Risk, RiskStatus, Treatment, format_ref

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
SCORE_FIELDS = ("inherent_likelihood", "inherent_impact", *RESIDUAL_FIELDS)
AUDITED_FIELDS = ("ref", *EDITABLE_FIELDS, "residual_assessed_at")
# Judgements a person must make: nothing fills them in for a caller that gave none.
REQUIRED_MESSAGES = {
    "title": _l("Give the risk a title."),
    "direction": _l("Choose the direction: whom the risk harms."),
    "category": _l("Choose the category of the risk."),
    "impact_area": _l("Choose the consequence area that drives the impact."),
    "owner_id": _l("Choose the owner of the risk."),
    "inherent_likelihood": _l("Choose the inherent likelihood: a level from 1 to 5."),
    "inherent_impact": _l("Choose the inherent impact: a level from 1 to 5."),
    "residual_likelihood": _l("Choose the residual likelihood: a level from 1 to 5."),
    "residual_impact": _l("Choose the residual impact: a level from 1 to 5."),
    "treatment": _l("Choose the treatment: avoid, reduce, transfer or accept."),
}
# The score fields in words, for the messages about them (the form's labels).
SCORE_LABELS = {
    "inherent_likelihood": _l("Inherent likelihood"),
    "inherent_impact": _l("Inherent impact"),
    "residual_likelihood": _l("Residual likelihood"),
    "residual_impact": _l("Residual impact"),
}
REVIEWED_STATUSES = (RiskStatus.OPEN, RiskStatus.DRAFT)


def audit_values(
    risk: Risk | Mapping[str, Any],
    site_names: Mapping[int, str] | None = None,
    owner_names: Mapping[int, str] | None = None,
    only: Collection[str] | None = None,
) -> dict[str, Any]:
    """The risk's fields (or field values) as the History tab shows them: the site and owner by name,
    not by id; from the maps given (a bulk change), else from the session. `only`: these fields."""
    names = AUDITED_FIELDS if only is None else [name for name in AUDITED_FIELDS if name in only]
    fields = risk if isinstance(risk, Mapping) else {name: getattr(risk, name) for name in names}
    values = {name: audit.plain(fields.get(name)) for name in names}
    if "site_id" in values:
        values["site"] = _name("site", values.pop("site_id"), site_names) or "Corporate"
    if "owner_id" in values:
        values["owner"] = _name("owner", values.pop("owner_id"), owner_names)
    return values


def _name(kind: str, ident: int | None, names: Mapping[int, str] | None) -> str | None:
    if ident is None:
        return None
    if names is not None:
        return names.get(ident)
    from riskreg.auth.models import User
    from riskreg.sites.models import Site

    with db.session.no_autoflush:  # looking names up must not write the edit half-way (one version bump)
        found = db.session.get(Site if kind == "site" else User, ident)
    return found.name if found else None


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


def check_required(values: Mapping[str, Any]) -> None:
    """Refuse a risk that leaves a judgement empty, naming the first such field."""
    for name, message in REQUIRED_MESSAGES.items():
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise RiskRuleError(name, message)


def next_review_date(values: Mapping[str, Any], current: Mapping[str, Any] | None, on: date) -> date | None:
    """The next review date to store for a risk being created (`current` None) or changed.

    `values` and `current` map EDITABLE_FIELDS to the new and the stored values. A date given in
    this change is kept as given. Otherwise an open or draft risk is due for review after its
    residual band's cadence (seeds/matrix.toml `review_days`), counted from `on`: when it is new,
    when it has no date, and when its residual score or band changes. A stored date that still lies
    ahead and comes sooner than that is kept. Closed and archived risks keep what they have.
    """
    given = values.get("next_review_date")
    if given is not None and (current is None or given != current.get("next_review_date")):
        return given  # set by hand in this change
    if values.get("status") not in REVIEWED_STATUSES:
        return given
    residual = _residual_band(values)
    if residual is None:
        return given  # no valid residual score: check_required or the levels' check refuses it
    derived = on + timedelta(days=residual[0].review_days)
    if given is None:
        return derived
    if current is not None and _residual_band(current) == residual:
        return given  # neither the residual score nor its band moved
    return given if on <= given < derived else derived


def _residual_band(values: Mapping[str, Any]) -> tuple[scoring.Band, int] | None:
    likelihood, impact = values.get("residual_likelihood"), values.get("residual_impact")
    try:
        band = scoring.matrix().band(likelihood, impact, values.get("direction"))
    except ValueError:
        return None
    return band, likelihood * impact


def check_rules(values: dict[str, Any]) -> None:
    check_required(values)
    check_residual(values)
    if values["status"] == RiskStatus.ARCHIVED:
        raise RiskRuleError("status", _l("Use the Archive button to archive a risk."))
    check_target(values)


def check_target(values: Mapping[str, Any]) -> None:
    """A target score is optional, but it takes both levels (form, import, any caller)."""
    if (values.get("target_likelihood") is None) != (values.get("target_impact") is None):
        raise RiskRuleError(
            "target_impact", _l("Give both a target likelihood and a target impact, or neither.")
        )


ACCEPT_BY_REQUEST = _l(
    "Accepting a risk needs an approval: keep its treatment as it is today and use "
    "“Request acceptance” on the risk's page (justification, expiry and approver)."
)


def check_treatment(values: Mapping[str, Any], current: Mapping[str, Any] | None) -> None:
    """Treatment Accept is set only by an acceptance request (acceptances/services.py), never by the
    form or the import directly: until an approver signs it off the risk is not accepted."""
    if values.get("treatment") is Treatment.ACCEPT and (
        current is None or current.get("treatment") is not Treatment.ACCEPT
    ):
        raise RiskRuleError("treatment", ACCEPT_BY_REQUEST)


def check_residual(values: Mapping[str, Any]) -> None:
    """Residual may not exceed inherent: controls do not make a risk worse (form, import, any caller)."""
    for name in SCORE_FIELDS:
        try:
            scoring.check_level(values.get(name), SCORE_LABELS[name])
        except ValueError as error:
            raise RiskRuleError(name, LazyString(lambda error=error: f"{error}.")) from error
    inherent = scoring.score(values["inherent_likelihood"], values["inherent_impact"])
    residual = scoring.score(values["residual_likelihood"], values["residual_impact"])
    if residual > inherent:
        raise RiskRuleError(
            "residual_impact",
            _l(
                "The residual score (%(residual)s) cannot be higher than the inherent score (%(inherent)s): "
                "controls do not make a risk worse.",
                residual=residual,
                inherent=inherent,
            ),
        )


def prepare_values(data: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The risk's new field values: read from `data`, checked against the rules, with the values
    derived from them. `current` holds the fields as they are (None for a new risk).

    The one step every change of a risk goes through (create_risk, update_risk and the bulk import):
    a rule or derivation added here applies to all of them."""
    values = text.cleaned(Risk, {name: data.get(name) for name in EDITABLE_FIELDS})
    check_rules(values)
    check_treatment(values, current)
    if (
        current is None
        or data.get("confirm_residual")
        or any(values[name] != current[name] for name in RESIDUAL_FIELDS)
    ):
        values["residual_assessed_at"] = utcnow()
    values["next_review_date"] = next_review_date(values, current, today())
    return values


def check_requirements(data: Mapping[str, Any]) -> None:
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
    values = prepare_values(data)
    check_requirements(data)
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
    from riskreg.bowtie.services import mirror_first  # the first cause and consequence of the bowtie

    mirror_first({risk.id: {"cause": risk.cause, "consequence": risk.consequence}}, new=True)
    logger.debug("risk %s created by %s", risk.ref, getattr(actor, "id", None))
    return risk


def update_risk(risk: Risk, data: dict[str, Any], actor: Any, expected_version: int) -> dict[str, list]:
    """Apply the edit; raise RiskConflict when the risk moved on since the editor loaded it.

    The version is required: without it a save made in between would be silently overwritten."""
    if expected_version is None:
        raise TypeError("update_risk needs the version the change was based on (expected_version)")
    if expected_version != risk.version:
        raise RiskConflict(risk)
    if not risk.editable:
        raise RiskRuleError("status", _l("%(ref)s is archived: restore it before editing it.", ref=risk.ref))
    values = prepare_values(data, {name: getattr(risk, name) for name in EDITABLE_FIELDS})
    check_requirements(data)
    before = audit_values(risk)
    for name, value in values.items():
        setattr(risk, name, value)
    changes = audit.diff(before, audit_values(risk))
    linked = _link_requirements(risk, data)
    if linked:
        changes["requirements"] = linked
    if changes:
        db.session.flush()
        audit.record("risk", risk.id, "update", actor, changes)
        from riskreg.acceptances.services import void_on_increase
        from riskreg.bowtie.services import mirror_first
        from riskreg.reviews.services import after_risk_update  # a reassessment is a review

        texts = {name: getattr(risk, name) for name in ("cause", "consequence") if name in changes}
        if texts:
            mirror_first({risk.id: texts})
        after_risk_update(risk, changes, actor)
        left = "treatment" in changes and changes["treatment"][0] == Treatment.ACCEPT.value
        void_on_increase({risk.id: risk.residual_score}, actor, {risk.id} if left else ())
    return changes


def archive_risk(risk: Risk, actor: Any, reason: str = "") -> None:
    if risk.status is RiskStatus.ARCHIVED:
        raise RiskRuleError("status", _l("%(ref)s is already archived.", ref=risk.ref))
    old = risk.status
    risk.status = RiskStatus.ARCHIVED
    db.session.flush()
    audit.record(
        "risk", risk.id, "archive", actor, {"status": [old.value, RiskStatus.ARCHIVED.value]}, reason
    )


def restore_risk(risk: Risk, actor: Any) -> None:
    """Back to the status it had before it was archived (open if that is unknown)."""
    if risk.status is not RiskStatus.ARCHIVED:
        raise RiskRuleError("status", _l("%(ref)s is not archived.", ref=risk.ref))
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
    """The risk manager reassessed the residual score and keeps it as it is (the event says which)."""
    old = audit.plain(risk.residual_assessed_at)
    risk.residual_assessed_at = utcnow()
    db.session.flush()
    changes: dict[str, list[Any]] = {"residual_assessed_at": [old, audit.plain(risk.residual_assessed_at)]}
    for name in (*RESIDUAL_FIELDS, "residual_score"):
        changes[name] = [getattr(risk, name)] * 2  # confirmed as it was
    audit.record("risk", risk.id, "reassess", actor, changes, "Residual score reviewed and confirmed")
