"""Who is told what about a control, through riskreg.mail: an assignment (the owner and the
department's heads), an implemented control (the risk managers, who verify it), a verification or a
reopening (the department's heads and the owner). Nobody is mailed about their own action.

Subjects and headlines are lazy texts: riskreg.mail puts them in each recipient's language when it
renders the mail (str() inside its force_locale), never in the language of whoever acted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

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
    kind: str, people: list[User], actor: Any, subject: Any, headline: Any, control: Control, note: str = ""
) -> None:
    actor_id = getattr(actor, "id", None)
    for person in people:
        if person.id != actor_id:
            mail.notify(kind, person, subject, TEMPLATE, headline=headline, control=control, note=note)


def _rating(control: Control) -> LazyString:
    """The control's effectiveness in words, in the language of the mail being rendered."""
    effectiveness = control.effectiveness
    return LazyString(lambda: str(effectiveness.label).lower())


def _day(value: Any) -> LazyString:
    from riskreg.i18n import day

    return LazyString(day, value)


def assigned(control: Control, actor: Any) -> None:
    subject = _l("riskreg: %(ref)s assigned: %(title)s", ref=control.ref, title=control.title)
    if control.due_date:
        headline = _l(
            "Control %(ref)s is assigned to you or your department, due %(date)s.",
            ref=control.ref,
            date=_day(control.due_date),
        )
    else:
        headline = _l("Control %(ref)s is assigned to you or your department.", ref=control.ref)
    _tell("control_assigned", _department_people(control), actor, subject, headline, control)


def implemented(control: Control, actor: Any, note: str) -> None:
    subject = _l(
        "riskreg: %(ref)s implemented, awaiting verification: %(title)s", ref=control.ref, title=control.title
    )
    headline = _l("Control %(ref)s is implemented and awaits your verification.", ref=control.ref)
    _tell("control_closed", _risk_managers(), actor, subject, headline, control, note)


def verified(control: Control, actor: Any, note: str) -> None:
    subject = _l(
        "riskreg: %(ref)s verified (%(rating)s): %(title)s",
        ref=control.ref,
        rating=_rating(control),
        title=control.title,
    )
    headline = _l("Control %(ref)s is verified: %(rating)s.", ref=control.ref, rating=_rating(control))
    _tell("control_verified", _department_people(control), actor, subject, headline, control, note)


def reopened(control: Control, actor: Any, reason: str) -> None:
    subject = _l("riskreg: %(ref)s reopened: %(title)s", ref=control.ref, title=control.title)
    headline = _l("Control %(ref)s is reopened and back in progress.", ref=control.ref)
    _tell("control_verified", _department_people(control), actor, subject, headline, control, reason)
