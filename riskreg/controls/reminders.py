"""Reminder digests: one mail per department head per day listing their department's overdue
controls and those due soon, sent over SMTP; `flask reminders send` runs it (from cron)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app, render_template
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from riskreg.auth.models import Role, User
from riskreg.controls.models import Control, ReminderDigest
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.mail import deliver, in_language_of, wanted
from riskreg.modeling import today
from riskreg.text import single_line

logger = logging.getLogger(__name__)


@dataclass
class Digest:
    user: User
    department: Department
    overdue: list[Control]
    due_soon: list[Control]
    on: date
    horizon_days: int

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_soon)


@dataclass
class RunReport:
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def build_digests(on: date, horizon_days: int) -> list[Digest]:
    """Every active head of an active department that has controls overdue or due within the horizon.

    Two queries whatever the number of heads: the heads, then all their departments' due controls."""
    heads = list(
        db.session.scalars(
            sa.select(User)
            .join(Department, Department.id == User.department_id)
            .where(User.role == Role.DEPARTMENT_HEAD, User.active.is_(True), Department.active.is_(True))
            .where(wanted("overdue_digest", User.id))
            .order_by(Department.name, User.name)
        )
    )
    if not heads:
        return []
    controls = db.session.scalars(
        sa.select(Control)
        .where(
            Control.department_id.in_({h.department_id for h in heads}),
            sa.or_(Control.is_overdue(on), Control.is_due_within(on, horizon_days)),
        )
        .order_by(Control.due_date, Control.id)
        .options(selectinload(Control.owner), selectinload(Control.risks))
        # The session may already hold some of these controls without their owner and risks
        # (a long-lived CLI or test session): load them afresh so the eager loads apply.
        .execution_options(populate_existing=True)
    )
    by_department: dict[int, list[Control]] = {}
    for control in controls:
        by_department.setdefault(control.department_id, []).append(control)
    digests = []
    for head in heads:
        due = by_department.get(head.department_id, [])
        if due:
            overdue = [c for c in due if c.is_overdue(on)]
            soon = [c for c in due if not c.is_overdue(on)]
            digests.append(Digest(head, head.department, overdue, soon, on, horizon_days))
    return digests


def sent_today(on: date) -> set[int]:
    return set(db.session.scalars(sa.select(ReminderDigest.user_id).where(ReminderDigest.sent_on == on)))


def subject(digest: Digest) -> str:
    """In the current language: message() renders it in the recipient's."""
    return _(
        "riskreg: %(department)s: %(overdue)s overdue, %(soon)s due within %(days)s days",
        department=digest.department.name,
        overdue=len(digest.overdue),
        soon=len(digest.due_soon),
        days=digest.horizon_days,
    )


def message(digest: Digest) -> EmailMessage:
    """Plain text with an HTML alternative; links built from BASE_URL (there is no request to use)."""
    config = current_app.config
    context = {"digest": digest, "base_url": config["BASE_URL"].rstrip("/")}
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    # Header values never carry a line break, whatever is stored (names are cleaned on the way in,
    # riskreg.text; this guards rows written before that, or by hand)
    msg["To"] = single_line(digest.user.email)
    with in_language_of(digest.user):  # subject and body in the department head's language
        msg["Subject"] = single_line(str(subject(digest)))
        text = render_template("controls/email/digest.txt", **context)
        html = render_template("controls/email/digest.html", **context)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or "riskreg")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send_digests(
    on: date, horizon_days: int, dry_run: bool = False, echo: Callable[[str], Any] = click.echo
) -> RunReport:
    report = RunReport()
    done = sent_today(on)
    for digest in build_digests(on, horizon_days):
        who = f"{digest.user.email} ({digest.department.name})"
        if digest.user.id in done:
            report.already_sent.append(who)
            continue
        if dry_run:
            msg = message(digest)
            echo(f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n{msg.get_body(('plain',)).get_content()}")
            report.sent.append(who)
            continue
        try:
            deliver(message(digest))
        except (smtplib.SMTPException, OSError, ValueError) as error:
            logger.warning("reminder to %s failed: %s", who, error)
            report.failed.append((who, str(error) or type(error).__name__))
            continue
        # Recorded only once the server accepted the mail, and at once: a later failure must not
        # cause a second mail to this head today.
        db.session.add(ReminderDigest(user_id=digest.user.id, sent_on=on, control_count=digest.count))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another run recorded it first; the mail went out either way
        report.sent.append(who)
    return report


reminders_cli = AppGroup("reminders", help="E-mail reminders to department heads.")


@reminders_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Print the digests instead of sending them; record nothing.")
@click.option(
    "--horizon-days",
    type=click.IntRange(0, 365),
    default=None,
    help="Include controls due within this many days (default: REMINDER_HORIZON_DAYS, 14).",
)
def send_command(dry_run: bool, horizon_days: int | None) -> None:
    """Send each department head one digest of their department's overdue and soon-due controls."""
    horizon = current_app.config["REMINDER_HORIZON_DAYS"] if horizon_days is None else horizon_days
    report = send_digests(today(), horizon, dry_run=dry_run)
    verb = "Would send" if dry_run else "Sent"
    click.echo(f"{verb} {len(report.sent)} digest(s).")
    if report.already_sent:
        click.echo(f"Already sent today: {', '.join(report.already_sent)}.")
    for who, error in report.failed:
        click.echo(f"FAILED: {who}: {error}", err=True)
    if report.failed:
        raise SystemExit(1)
