"""Reminders of grievances past a deadline: to the heads of each grievance's owner department and to
every grievance officer, through riskreg.mail (one message per person, no complainant in it)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from riskreg.auth.models import Role, User
from riskreg.extensions import db
from riskreg.grievances import services
from riskreg.grievances.models import Grievance, GrievanceStatus
from riskreg.i18n import gettext as _

KIND = "grievance_overdue"
TEMPLATE = "grievances/email/overdue.txt"


def overdue(on: date) -> list[Grievance]:
    limits = services.deadlines()
    return list(
        db.session.scalars(
            sa.select(Grievance)
            .where(Grievance.status != GrievanceStatus.CLOSED, services.overdue_clause(limits, on))
            .order_by(Grievance.received_on, Grievance.id)
        )
    )


def recipients(grievances: list[Grievance]) -> dict[int, tuple[User, list[Grievance]]]:
    """Each active person to remind with their grievances: officers get all, heads their department's."""
    departments = {g.owner_department_id for g in grievances if g.owner_department_id}
    people = list(
        db.session.scalars(
            sa.select(User).where(
                User.active.is_(True),
                sa.or_(
                    User.role == Role.GRIEVANCE_OFFICER,
                    sa.and_(User.role == Role.DEPARTMENT_HEAD, User.department_id.in_(departments or {-1})),
                ),
            )
        )
    )
    result: dict[int, tuple[User, list[Grievance]]] = {}
    for person in people:
        mine = [
            g
            for g in grievances
            if person.role is Role.GRIEVANCE_OFFICER or g.owner_department_id == person.department_id
        ]
        if mine:
            result[person.id] = (person, mine)
    return result


def remind(on: date) -> list[tuple[User, list[Grievance]]]:
    """Queue the reminders in the current session (the caller commits; mail goes after the commit)."""
    from riskreg import mail

    limits = services.deadlines()
    sent = []
    for person, mine in recipients(overdue(on)).values():
        with mail.in_language_of(person):  # the reminder in the reader's own language
            lines: list[dict[str, Any]] = [
                {
                    "ref": g.ref,
                    "received_on": g.received_on,
                    "reasons": services.overdue_reasons(g, limits, on),
                    "id": g.id,
                }
                for g in mine
            ]
            mail.notify(
                kind=KIND,
                user=person,
                subject=_("%(count)s grievance(s) past a deadline", count=len(mine)),
                template=TEMPLATE,
                grievances=lines,
                on=on,
            )
        sent.append((person, mine))
    return sent
