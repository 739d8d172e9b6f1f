"""Review reminders: each risk owner is told 7 days before a risk's next review and on the day, one
mail per owner per run listing the risks (`flask reviews remind`, daily from cron).

Idempotent per day: the mail (an outbox row, riskreg.mail) and the ReviewReminder that records it
are written in one transaction per owner, and the reminder is unique per owner and day, so a
second run that day (or one running alongside) sends nothing new."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from riskreg import mail
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.reviews import rules
from riskreg.reviews.models import ReviewReminder
from riskreg.risks.models import Risk

KIND = "review_due"
BEFORE_DAYS = rules.DUE_WITHIN_DAYS  # the first warning: this many days before the review date


@dataclass
class OwnerReminder:
    user: User
    today: list[Risk] = field(default_factory=list)  # due for review today
    soon: list[Risk] = field(default_factory=list)  # due in BEFORE_DAYS days

    @property
    def count(self) -> int:
        return len(self.today) + len(self.soon)


@dataclass
class RunReport:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # inactive, or the kind turned off


def build(on: date) -> list[OwnerReminder]:
    """Owners of open or draft risks whose next review is today or in BEFORE_DAYS days (two queries)."""
    soon = on + timedelta(days=BEFORE_DAYS)
    risks = list(
        db.session.scalars(
            sa.select(Risk)
            .where(Risk.status.in_(rules.REVIEWED_STATUSES), Risk.next_review_date.in_([on, soon]))
            .order_by(Risk.owner_id, Risk.next_review_date, Risk.id)
        )
    )
    if not risks:
        return []
    owners = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(User.id.in_({risk.owner_id for risk in risks}), User.active.is_(True))
        )
    }
    reminders: dict[int, OwnerReminder] = {}
    for risk in risks:
        owner = owners.get(risk.owner_id)
        if owner is None:
            continue  # an inactive owner gets no mail (the register's filters still show the risk)
        reminder = reminders.setdefault(owner.id, OwnerReminder(owner))
        (reminder.today if risk.next_review_date == on else reminder.soon).append(risk)
    return sorted(reminders.values(), key=lambda r: (r.user.name, r.user.id))


def subject(reminder: OwnerReminder) -> Any:
    """A lazy text: riskreg.mail puts it in the owner's language when it renders the mail."""
    today, soon = len(reminder.today), len(reminder.soon)
    if today and soon:
        return _l(
            "riskreg: risks you own: %(today)s due for review today, %(soon)s due in %(days)s days",
            today=today,
            soon=soon,
            days=BEFORE_DAYS,
        )
    if today:
        return _l("riskreg: risks you own: %(today)s due for review today", today=today)
    return _l("riskreg: risks you own: %(soon)s due in %(days)s days", soon=soon, days=BEFORE_DAYS)


def remind(on: date) -> RunReport:
    """Queue one mail per owner (committed per owner: one owner's failure spoils no other's)."""
    report = RunReport()
    done = set(db.session.scalars(sa.select(ReviewReminder.user_id).where(ReviewReminder.sent_on == on)))
    for reminder in build(on):
        who = reminder.user.email
        if reminder.user.id in done:
            report.already_sent.append(who)
            continue
        queued = mail.notify(
            KIND,
            reminder.user,
            subject(reminder),
            "reviews/email/due.txt",
            reminder=reminder,
            on=on,
            before_days=BEFORE_DAYS,
        )
        db.session.add(
            ReviewReminder(
                user_id=reminder.user.id,
                sent_on=on,
                risk_count=reminder.count,
            )
        )
        try:
            db.session.commit()  # the mail goes right after this commit (riskreg.mail)
        except IntegrityError:
            db.session.rollback()  # another run recorded this owner first: its mail went, not this one
            report.already_sent.append(who)
            continue
        (report.sent if queued is not None else report.skipped).append(who)
    return report


reviews_cli = AppGroup("reviews", help="Risk reviews.")


@reviews_cli.command("remind")
@click.option(
    "--today",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD); default: today.",
)
def remind_command(on: datetime | None) -> None:
    """Mail each risk owner about the risks due for review today and in 7 days (once a day)."""
    report = remind(on.date() if on is not None else today())
    click.echo(f"Sent {len(report.sent)} review reminder(s).")
    if report.already_sent:
        click.echo(f"Already sent that day: {', '.join(report.already_sent)}.")
    if report.skipped:
        click.echo(f"Not wanted (turned off in /me/settings): {', '.join(report.skipped)}.")
