"""The rules of the grievance mechanism: recording, the steps in order and dated, links to risks and
controls (a severe grievance flags its risks for review), the confidential complainant, deadlines.

Every function takes an explicit actor, flushes and audits; the caller commits once."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from riskreg import audit, reads
from riskreg.auth.permissions import can_see_complainant
from riskreg.extensions import db
from riskreg.grievances.models import (
    NEXT_STEPS,
    STEP_DATE,
    Grievance,
    GrievanceCategory,
    GrievanceChannel,
    GrievanceComplainant,
    GrievanceStatus,
    GrievanceStep,
    grievance_controls,
    grievance_risks,
)
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.modeling import today
from riskreg.risks.models import format_ref

ENTITY = "grievance"
COMPLAINANT_ENTITY = "grievance_complainant"  # audit rows shown only to those who may see complainants
GRIEVANCE_FIELDS = (
    "site_id",
    "stakeholder_id",
    "anonymous",
    "received_on",
    "channel",
    "category",
    "description",
    "severity",
    "human_rights_impact",
    "owner_department_id",
)
COMPLAINANT_FIELDS = ("name", "contact", "notes")
SETTING_KEY = "grievance_deadlines"
MAX_TEXT = 5_000
CLOSED_STEPS = (GrievanceStatus.CLOSED,)
# Once a response has been proposed the response deadline is met; a grievance past these steps is
# no longer late to respond.
RESPONDED = frozenset(
    {
        GrievanceStatus.RESPONSE_PROPOSED,
        GrievanceStatus.RESOLVED,
        GrievanceStatus.NOT_RESOLVED,
        GrievanceStatus.APPEAL,
        GrievanceStatus.CLOSED,
    }
)


class GrievanceError(ValueError):
    """Bad grievance input; `field` names the form field to show it against."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(PermissionError):
    """The actor may not do this (the view answers 403)."""


# --- deadlines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    acknowledge_days: int
    respond_days: int


def deadlines() -> Deadlines:
    """From the admin setting when one is stored, else from the configuration (7 and 30 days)."""
    ack = int(current_app.config.get("GRIEVANCE_ACKNOWLEDGE_DAYS", 7))
    respond = int(current_app.config.get("GRIEVANCE_RESPOND_DAYS", 30))
    stored = reads.scalar(_stored_deadlines())  # the value only: the dashboard asks on every view
    if isinstance(stored, dict):
        ack = int(stored.get("acknowledge_days", ack))
        respond = int(stored.get("respond_days", respond))
    return Deadlines(ack, respond)


@functools.cache
def _stored_deadlines() -> sa.Select:
    from riskreg.standards.models import AppSetting

    return sa.select(AppSetting.value).where(AppSetting.key == SETTING_KEY)


def save_deadlines(acknowledge_days: Any, respond_days: Any, actor: Any) -> dict[str, list[Any]]:
    """Store the company's deadlines (an admin setting shared by every worker); audited."""
    from riskreg.standards.models import AppSetting
    from riskreg.standards.settings import AUDIT_ENTITY

    for field, value in (("acknowledge_days", acknowledge_days), ("respond_days", respond_days)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 365:
            raise GrievanceError(field, _l("Give a number of days from 1 to 365."))
    if respond_days < acknowledge_days:
        raise GrievanceError("respond_days", _l("The response cannot be due before the acknowledgement."))
    before = deadlines()
    after = {"acknowledge_days": acknowledge_days, "respond_days": respond_days}
    setting = db.session.get(AppSetting, SETTING_KEY)
    if setting is None:
        db.session.add(AppSetting(key=SETTING_KEY, value=after))
    else:
        setting.value = after
    db.session.flush()
    changes = audit.diff(
        {"acknowledge_days": before.acknowledge_days, "respond_days": before.respond_days}, after
    )
    if changes:
        audit.record(AUDIT_ENTITY, 0, "update", actor, changes, note=f"Setting '{SETTING_KEY}'")
    return changes


def acknowledge_due(grievance: Any, limits: Deadlines) -> date:
    return grievance.received_on + timedelta(days=limits.acknowledge_days)


def respond_due(grievance: Any, limits: Deadlines) -> date:
    return grievance.received_on + timedelta(days=limits.respond_days)


def acknowledge_overdue(grievance: Any, limits: Deadlines, on: date | None = None) -> bool:
    on = on or today()
    return grievance.acknowledged_on is None and on > acknowledge_due(grievance, limits)


def response_overdue(grievance: Any, limits: Deadlines, on: date | None = None) -> bool:
    on = on or today()
    return grievance.status not in RESPONDED and on > respond_due(grievance, limits)


def overdue_reasons(grievance: Any, limits: Deadlines, on: date | None = None) -> list[str]:
    """Words for the flags a grievance shows (empty: on time), in the reader's language."""
    reasons = []
    if acknowledge_overdue(grievance, limits, on):
        reasons.append(_("not acknowledged within %(days)s days", days=limits.acknowledge_days))
    if response_overdue(grievance, limits, on):
        reasons.append(_("no response within %(days)s days", days=limits.respond_days))
    return reasons


def overdue_clause(limits: Deadlines, on: date) -> sa.ColumnElement[bool]:
    """overdue_reasons in SQL: past either deadline (for the list filter and the reminders)."""
    ack_cutoff = on - timedelta(days=limits.acknowledge_days)
    respond_cutoff = on - timedelta(days=limits.respond_days)
    return sa.or_(
        sa.and_(Grievance.acknowledged_on.is_(None), Grievance.received_on < ack_cutoff),
        sa.and_(Grievance.status.not_in(list(RESPONDED)), Grievance.received_on < respond_cutoff),
    )


def severe_level() -> int:
    return int(current_app.config.get("GRIEVANCE_SEVERE_LEVEL", 4))


def is_severe(grievance: Any) -> bool:
    """Severe enough to flag its risks for review: a high consequence to people, or a human-rights
    impact alleged (severe_clause is the same rule in SQL)."""
    return bool(grievance.human_rights_impact) or (grievance.severity or 0) >= severe_level()


def severe_clause() -> Any:
    """is_severe as a WHERE clause on grievances."""
    return sa.or_(Grievance.human_rights_impact.is_(True), Grievance.severity >= severe_level())


# --- recording ---------------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if len(text) > limit:
        raise GrievanceError(field, _l("Keep this under %(limit)s characters.", limit=limit))
    return text


def _enum(value: Any, enum_cls: type, field: str, message: str) -> Any:
    if value in (None, ""):
        raise GrievanceError(field, message)
    try:
        return enum_cls(value)
    except ValueError as exc:
        allowed = ", ".join(m.label for m in enum_cls)
        raise GrievanceError(field, _l("Choose one of: %(allowed)s.", allowed=allowed)) from exc


# Per date checked: (the message when it is missing, the message when it is in the future).
DATE_MESSAGES = {
    "received": (
        _l("Give the date it was received."),
        _l("The date it was received cannot be in the future."),
    ),
    "step": (_l("Give the date of the step."), _l("The date of the step cannot be in the future.")),
}


def _past_date(value: Any, field: str, what: str) -> date:
    missing, future = DATE_MESSAGES[what]
    if value is None:
        raise GrievanceError(field, missing)
    if not isinstance(value, date):
        raise GrievanceError(field, _l("Give a date as YYYY-MM-DD."))
    if value > today():
        raise GrievanceError(field, future)
    return value


def check_values(data: dict[str, Any]) -> dict[str, Any]:
    """The grievance's own fields, checked; raises GrievanceError naming the field."""
    from riskreg.departments.models import Department
    from riskreg.sites.models import Site
    from riskreg.stakeholders.models import Stakeholder

    site_id = data.get("site_id")
    site = db.session.get(Site, int(site_id)) if site_id not in (None, "") else None
    if site is None:
        raise GrievanceError("site_id", _l("Choose the site the grievance is about."))
    stakeholder_id = data.get("stakeholder_id")
    if stakeholder_id in ("", None):
        stakeholder_id = None
    else:
        stakeholder = db.session.get(Stakeholder, int(stakeholder_id))
        if stakeholder is None:
            raise GrievanceError(
                "stakeholder_id", _l("There is no stakeholder with id %(id)s.", id=stakeholder_id)
            )
        if stakeholder.site_id != site.id:
            raise GrievanceError(
                "stakeholder_id",
                _l(
                    "%(stakeholder)s is a stakeholder of another site, not of %(site)s.",
                    stakeholder=stakeholder.name,
                    site=site.name,
                ),
            )
        stakeholder_id = stakeholder.id
    severity = data.get("severity")
    if severity in ("", None):
        severity = None
    else:
        try:
            severity = int(severity)
        except (TypeError, ValueError) as exc:
            raise GrievanceError("severity", _l("Severity is a consequence level from 1 to 5.")) from exc
        if severity not in range(1, 6):
            raise GrievanceError("severity", _l("Severity is a consequence level from 1 to 5."))
    department_id = data.get("owner_department_id")
    if department_id in ("", None):
        department_id = None
    elif db.session.get(Department, int(department_id)) is None:
        raise GrievanceError(
            "owner_department_id", _l("There is no department with id %(id)s.", id=department_id)
        )
    else:
        department_id = int(department_id)
    description = _text(data.get("description"), "description")
    if not description:
        raise GrievanceError("description", _l("Describe the grievance."))
    return {
        "site_id": site.id,
        "stakeholder_id": stakeholder_id,
        "anonymous": bool(data.get("anonymous")),
        "received_on": _past_date(data.get("received_on"), "received_on", "received"),
        "channel": _enum(data.get("channel"), GrievanceChannel, "channel", _l("Say how it was received.")),
        "category": _enum(data.get("category"), GrievanceCategory, "category", _l("Choose a category.")),
        "description": description,
        "severity": severity,
        "human_rights_impact": bool(data.get("human_rights_impact")),
        "owner_department_id": department_id,
    }


def identity_given(data: dict[str, Any]) -> bool:
    return any((data.get(name) or "").strip() for name in COMPLAINANT_FIELDS)


def refuse_retired(stakeholder_id: int | None) -> None:
    """A retired stakeholder stays on its past grievances but is not chosen for another one."""
    from riskreg.stakeholders.models import Stakeholder

    stakeholder = db.session.get(Stakeholder, stakeholder_id) if stakeholder_id is not None else None
    if stakeholder is not None and not stakeholder.active:
        raise GrievanceError(
            "stakeholder_id",
            _l("%(name)s is retired: restore it on the site page to choose it.", name=stakeholder.name),
        )


def create_grievance(
    data: dict[str, Any], actor: Any, complainant: dict[str, Any] | None = None
) -> Grievance:
    """Record a received grievance (its first step); `complainant` (name, contact, notes) only from
    someone who may see complainants. Flushes and audits."""
    values = check_values(data)
    refuse_retired(values["stakeholder_id"])
    if values["owner_department_id"] is None:
        values["owner_department_id"] = getattr(actor, "department_id", None)
    if complainant and identity_given(complainant):
        if not can_see_complainant(actor):
            raise NotAllowed(_l("Only grievance officers and admins record who raised a grievance."))
        if values["anonymous"]:
            raise GrievanceError("anonymous", _l("An anonymous grievance has no complainant: untick one."))
    grievance = Grievance(recorded_by_id=getattr(actor, "id", None), **values)
    db.session.add(grievance)
    db.session.flush()
    grievance.ref = format_ref("G", grievance.id)
    db.session.add(
        GrievanceStep(
            grievance_id=grievance.id,
            step=GrievanceStatus.RECEIVED,
            on=values["received_on"],
            by_id=getattr(actor, "id", None),
        )
    )
    snapshot = audit.snapshot(grievance, GRIEVANCE_FIELDS)
    changes = {key: [None, value] for key, value in snapshot.items() if value not in (None, "", False)}
    audit.record(ENTITY, grievance.id, "create", actor, changes, grievance.ref)
    if complainant and identity_given(complainant):
        set_complainant(grievance, complainant, actor)
    db.session.flush()
    return grievance


EDIT_FIELDS = (
    "channel",
    "stakeholder_id",
    "category",
    "description",
    "severity",
    "human_rights_impact",
    "owner_department_id",
)


class GrievanceConflict(GrievanceError):
    def __init__(self) -> None:
        super().__init__("description", _l("Someone else changed this grievance meanwhile: reload it."))


def update_grievance(grievance: Grievance, data: dict[str, Any], actor: Any, expected_version: int) -> dict:
    """Correct or assess a grievance's own fields (the version is required); a grievance that becomes
    severe flags its linked risks for review."""
    if expected_version != grievance.version:
        raise GrievanceConflict()
    merged = {name: getattr(grievance, name) for name in GRIEVANCE_FIELDS} | {
        name: data.get(name) for name in EDIT_FIELDS
    }
    values = check_values(merged)
    if values["stakeholder_id"] != grievance.stakeholder_id:  # a retired one stays where it was
        refuse_retired(values["stakeholder_id"])
    was_severe = is_severe(grievance)
    before = audit.snapshot(grievance, EDIT_FIELDS)
    for name in EDIT_FIELDS:
        setattr(grievance, name, values[name])
    changes = audit.diff(before, audit.snapshot(grievance, EDIT_FIELDS))
    if changes:
        db.session.flush()
        audit.record(ENTITY, grievance.id, "update", actor, changes, grievance.ref)
        if is_severe(grievance) and not was_severe:
            flag_for_review(grievance, sorted(linked_risk_ids(grievance.id)))
    return changes


# --- the steps ---------------------------------------------------------------------------------


def last_step_date(grievance: Grievance) -> date:
    return getattr(grievance, STEP_DATE[grievance.status]) or grievance.received_on


def take_step(
    grievance: Grievance,
    step: Any,
    on: Any,
    actor: Any,
    note: str = "",
    response: str = "",
    accepted: bool | None = None,
) -> GrievanceStep:
    """Move the grievance to its next step, dated; anything out of order is refused."""
    try:
        step = GrievanceStatus(step)
    except ValueError as exc:
        raise GrievanceError("step", _l("%(step)s is not a step of a grievance.", step=repr(step))) from exc
    allowed = NEXT_STEPS[grievance.status]
    if step not in allowed:
        if not allowed:
            raise GrievanceError("step", _l("%(ref)s is closed: it has no further step.", ref=grievance.ref))
        labels = [s.label.lower() for s in allowed]
        following = (
            _("%(first)s or %(second)s", first=labels[0], second=labels[1]) if len(labels) == 2 else labels[0]
        )
        raise GrievanceError(
            "step",
            _l(
                "%(ref)s is %(status)s: it cannot be %(step)s next (next: %(next)s).",
                ref=grievance.ref,
                status=grievance.status.label.lower(),
                step=step.label.lower(),
                next=following,
            ),
        )
    on = _past_date(on, "on", "step")
    previous = last_step_date(grievance)
    if on < previous:
        raise GrievanceError(
            "on", _l("The step cannot be dated before the previous one (%(date)s).", date=day(previous))
        )
    note = _text(note, "note")
    response = _text(response, "response")
    before = audit.snapshot(grievance, ("status", STEP_DATE[step], "response", "accepted"))
    if step is GrievanceStatus.RESPONSE_PROPOSED:
        if not response:
            raise GrievanceError("response", _l("Give the response proposed to the complainant."))
        grievance.response = response
    if step in (GrievanceStatus.RESOLVED, GrievanceStatus.NOT_RESOLVED) and accepted is not None:
        grievance.accepted = bool(accepted)
    grievance.status = step
    setattr(grievance, STEP_DATE[step], on)
    record = GrievanceStep(
        grievance_id=grievance.id, step=step, on=on, note=note, by_id=getattr(actor, "id", None)
    )
    db.session.add(record)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(grievance, before.keys()))
    audit.record(ENTITY, grievance.id, "step", actor, changes, note or step.english_label)
    return record


# --- links -------------------------------------------------------------------------------------


def linked_risk_ids(grievance_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(grievance_risks.c.risk_id).where(grievance_risks.c.grievance_id == grievance_id)
        )
    )


def linked_control_ids(grievance_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(grievance_controls.c.control_id).where(
                grievance_controls.c.grievance_id == grievance_id
            )
        )
    )


def _find_by_ref(model: Any, text: str, field: str) -> Any:
    text = (text or "").strip().upper()
    if not text:
        return None
    found = db.session.scalar(sa.select(model).where(model.ref == text))
    if found is None:
        if model.__name__ == "Control":
            raise GrievanceError(field, _l("There is no control %(ref)s.", ref=text))
        raise GrievanceError(field, _l("There is no risk %(ref)s.", ref=text))
    return found


def link_risk(grievance: Grievance, ref: str, actor: Any) -> Any:
    """Link a risk of the grievance's site (or a corporate one) by its ref; a severe grievance flags it
    for review."""
    from riskreg.risks.models import Risk, RiskStatus

    risk = _find_by_ref(Risk, ref, "risk_ref")
    if risk is None:
        raise GrievanceError("risk_ref", _l("Give the ref of the risk, e.g. R-0001."))
    if risk.site_id not in (None, grievance.site_id):
        raise GrievanceError("risk_ref", _l("%(ref)s is a risk of another site.", ref=risk.ref))
    if risk.status is RiskStatus.ARCHIVED:
        raise GrievanceError("risk_ref", _l("%(ref)s is archived.", ref=risk.ref))
    if risk.id in linked_risk_ids(grievance.id):
        raise GrievanceError(
            "risk_ref",
            _l("%(grievance)s is already linked to %(ref)s.", grievance=grievance.ref, ref=risk.ref),
        )
    db.session.execute(sa.insert(grievance_risks).values(grievance_id=grievance.id, risk_id=risk.id))
    audit.record(ENTITY, grievance.id, "link", actor, {"risks": [None, risk.ref]}, risk.title)
    audit.record("risk", risk.id, "link", actor, {"grievances": [None, grievance.ref]}, "Grievance linked")
    if is_severe(grievance):
        flag_for_review(grievance, [risk.id])
    return risk


def flag_for_review(grievance: Grievance, risk_ids: list[int]) -> int:
    """Open a review flag on each of these risks unless this grievance already flagged it (open)."""
    from riskreg.indicators.models import ReviewFlag

    already = set(
        db.session.scalars(
            sa.select(ReviewFlag.risk_id).where(
                ReviewFlag.grievance_id == grievance.id,
                ReviewFlag.risk_id.in_(risk_ids),
                ReviewFlag.review_id.is_(None),
            )
        )
    )
    new = [risk_id for risk_id in risk_ids if risk_id not in already]
    for risk_id in new:
        db.session.add(ReviewFlag(risk_id=risk_id, grievance_id=grievance.id, reason=grievance.review_reason))
    db.session.flush()
    return len(new)


def link_control(grievance: Grievance, ref: str, actor: Any) -> Any:
    """Link a control (a remedy, or prevention) by its ref."""
    from riskreg.controls.models import Control, ControlStatus

    control = _find_by_ref(Control, ref, "control_ref")
    if control is None:
        raise GrievanceError("control_ref", _l("Give the ref of the control, e.g. C-0001."))
    if control.status is ControlStatus.CANCELLED:
        raise GrievanceError("control_ref", _l("%(ref)s is cancelled.", ref=control.ref))
    if control.id in linked_control_ids(grievance.id):
        raise GrievanceError(
            "control_ref",
            _l("%(grievance)s is already linked to %(ref)s.", grievance=grievance.ref, ref=control.ref),
        )
    db.session.execute(sa.insert(grievance_controls).values(grievance_id=grievance.id, control_id=control.id))
    audit.record(ENTITY, grievance.id, "link", actor, {"controls": [None, control.ref]}, control.title)
    return control


# --- the complainant (confidential) --------------------------------------------------------------


def complainant_of(grievance_id: int) -> GrievanceComplainant | None:
    return db.session.get(GrievanceComplainant, grievance_id)


def set_complainant(grievance: Grievance, data: dict[str, Any], actor: Any) -> dict[str, list[Any]]:
    """Record or change who raised the grievance; only for those who may see complainants. Audited
    under its own entity, whose values only they are shown."""
    if not can_see_complainant(actor):
        raise NotAllowed(_l("Only grievance officers and admins record who raised a grievance."))
    values = {
        "name": _text(data.get("name"), "name", 200),
        "contact": _text(data.get("contact"), "contact", 300),
        "notes": _text(data.get("notes"), "notes"),
    }
    if grievance.anonymous and any(values.values()):
        raise GrievanceError("name", _l("The grievance is anonymous: it has no complainant to record."))
    current = complainant_of(grievance.id)
    before = audit.snapshot(current, COMPLAINANT_FIELDS) if current else {}
    if current is None:
        if not any(values.values()):
            raise GrievanceError("name", _l("Give the complainant's name or contact."))
        current = GrievanceComplainant(grievance_id=grievance.id, **values)
        db.session.add(current)
    else:
        for name, value in values.items():
            setattr(current, name, value)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(current, COMPLAINANT_FIELDS))
    if changes:
        audit.record(
            COMPLAINANT_ENTITY, grievance.id, "update" if before else "create", actor, changes, grievance.ref
        )
    return changes


def record_identity_view(grievance_id: int, ref: str, actor: Any, where: str = "grievance page") -> None:
    """Every view of a complainant's identity is an audit event (no values in it)."""
    audit.record(
        COMPLAINANT_ENTITY, grievance_id, "view", actor, {}, f"Identity of {ref} seen on the {where}"
    )
