"""Who is told what about a control, through riskreg.mail: an assignment (the owner and the
department's heads), an implemented control (the risk managers, who verify it), a verification or a
reopening (the department's heads and the owner). Nobody is mailed about their own action."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from riskreg import mail
from riskreg.auth.models import Role, User
from riskreg.controls.models import Control
from riskreg.extensions import db

TEMPLATE = "controls/email/notice.txt"


def _department_people(control: Control) -> list[User]:
    """The control's owner and the active heads of its department."""
    heads = sa.and_(User.department_id == control.department_id, User.role == Role.DEPARTMENT_HEAD)
    who = sa.or_(User.id == control.owner_id, heads) if control.owner_id else heads
    return list(db.session.scalars(sa.select(User).where(who, User.active.is_(True)).order_by(User.id)))


def _risk_managers() -> list[User]:
    query = sa.select(User).where(User.role == Role.RISK_MANAGER, User.active.is_(True)).order_by(User.id)
    return list(db.session.scalars(query))


def _tell(
    kind: str, people: list[User], actor: Any, subject: str, headline: str, control: Control, note: str = ""
) -> None:
    actor_id = getattr(actor, "id", None)
    for person in people:
        if person.id != actor_id:
            mail.notify(kind, person, subject, TEMPLATE, headline=headline, control=control, note=note)


def assigned(control: Control, actor: Any) -> None:
    subject = f"riskreg: {control.ref} assigned: {control.title}"
    due = f", due {control.due_date.isoformat()}" if control.due_date else ""
    headline = f"Control {control.ref} is assigned to you or your department{due}."
    _tell("control_assigned", _department_people(control), actor, subject, headline, control)


def implemented(control: Control, actor: Any, note: str) -> None:
    subject = f"riskreg: {control.ref} implemented, awaiting verification: {control.title}"
    headline = f"Control {control.ref} is implemented and awaits your verification."
    _tell("control_closed", _risk_managers(), actor, subject, headline, control, note)


def verified(control: Control, actor: Any, note: str) -> None:
    subject = f"riskreg: {control.ref} verified ({control.effectiveness.label.lower()}): {control.title}"
    headline = f"Control {control.ref} is verified: {control.effectiveness.label.lower()}."
    _tell("control_verified", _department_people(control), actor, subject, headline, control, note)


def reopened(control: Control, actor: Any, reason: str) -> None:
    subject = f"riskreg: {control.ref} reopened: {control.title}"
    headline = f"Control {control.ref} is reopened and back in progress."
    _tell("control_verified", _department_people(control), actor, subject, headline, control, reason)
