"""The one mail module: every notification riskreg sends goes through `notify`.

A notification is an outbox row written in the transaction of the change it reports, so a rollback
drops it and a commit keeps it. Right after the commit the rows of that transaction are sent; a mail
server that is down or refuses leaves them queued (attempts and the error recorded) for
`flask mail retry`, and the change itself stays saved: sending never fails the request. Each user can
turn each kind off in /me/settings.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.observability import metrics
from riskreg.observability.request_id import HEADER as REQUEST_ID_HEADER
from riskreg.observability.request_id import current_request_id
from riskreg.text import single_line

if TYPE_CHECKING:
    from riskreg.auth.models import User

logger = logging.getLogger(__name__)

# Every kind of notification, with the words /me/settings shows beside its switch.
KINDS: dict[str, Any] = {  # lazy strings: said in the reader's language
    "review_trigger": _l("Monitoring raised a trigger on a risk I own or an indicator I own"),
    "control_assigned": _l("A control is assigned to me or to my department"),
    "control_closed": _l("A control is implemented and awaits verification (risk managers)"),
    "control_verified": _l("A control of my department is verified or reopened"),
    "overdue_digest": _l("The daily digest of my department's overdue and soon-due controls"),
    "review_due": _l("A risk I own is due for review (7 days before and on the day)"),
    "verification_failed": _l("A critical control of a risk I own failed its field verification"),
    "acceptance_requested": _l("An acceptance of a risk awaits my approval"),
    "acceptance_decided": _l("An acceptance I asked for, or of a risk I own, is approved or rejected"),
    "acceptance_expiring": _l("An acceptance I asked for, or of a risk I own, expires within 30 days"),
    "acceptance_expired": _l("An acceptance I asked for, or of a risk I own, expired"),
    "acceptance_voided": _l("A score increase voided an acceptance I asked for, or of a risk I own"),
    "grievance_overdue": _l("Grievances of my department (or any, as grievance officer) past a deadline"),
    "mentioned": _l("Someone mentioned me (@name) in a comment on a risk or a control"),
}

# Set while seeding demo or benchmark data: its made-up events notify nobody.
_quiet: ContextVar[bool] = ContextVar("riskreg_mail_quiet", default=False)
# A queued message is tried at most this many times by `flask mail retry`, then left for a person.
MAX_ATTEMPTS = 10
_PENDING = "riskreg.mail.pending"


class OutboxMessage(db.Model):
    """One message to one person; sent_at stays empty until the SMTP server has accepted it."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    # `flask mail retry` and the admin's queue ask for the unsent ones, oldest first.
    __table_args__ = (sa.Index("ix_mail_outbox_sent_created", "sent_at", "created_at"),)


class NotificationOptOut(db.Model):
    """A kind a user turned off (a row present means: do not send)."""

    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


def turned_off(user_id: int) -> set[str]:
    query = sa.select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)
    return set(db.session.scalars(query))


@contextmanager
def quiet() -> Iterator[None]:
    """No notifications inside (demo and benchmark data describe events that did not happen)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def wanted(kind: str, user_id: Any) -> sa.ColumnElement[bool]:
    """SQL: the user (a column or id) has not turned `kind` off; for queries that pick recipients."""
    return ~sa.exists().where(NotificationOptOut.user_id == user_id, NotificationOptOut.kind == kind)


def language_of(user: Any) -> str:
    """The language a mail to `user` is written in: their own setting, else the company default
    (a mail has no browser to ask)."""
    from riskreg.i18n.languages import LANGUAGES

    chosen = getattr(user, "locale", None)
    return chosen if chosen in LANGUAGES else current_app.config["DEFAULT_LOCALE"]


@contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    """Render a mail's subject and body inside: gettext, the templates' _() and the date filters
    speak the recipient's language, whoever caused the mail (and in whatever language they read)."""
    language = language_of(user)
    with force_locale(language):
        yield language


def notify(kind: str, user: User, subject: Any, template: str, **context: Any) -> OutboxMessage | None:
    """Queue a message of `kind` to `user` in the current transaction; None when not wanted.

    `subject` is a lazy string (flask_babel.lazy_gettext, with its placeholders) or a function of no
    arguments, so that it is said in the recipient's language like the body; a plain str is kept as
    given. Only the rendered text is stored."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")  # a programming error, not input
    if _quiet.get() or not user.active or not user.email or kind in turned_off(user.id):
        return None
    base_url = current_app.config["BASE_URL"].rstrip("/")
    with in_language_of(user):
        body = render_template(template, user=user, base_url=base_url, **context)
        said = str(subject() if callable(subject) else subject)
    message = OutboxMessage(
        kind=kind,
        user_id=user.id,
        to_address=single_line(user.email),
        subject=single_line(said)[:300],
        body=body,
    )
    session = db.session()
    session.add(message)
    session.info.setdefault(_PENDING, []).append(message)  # sent once its transaction commits
    return message


def email_message(to_address: str, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    # Header values never carry a line break, whatever is stored
    msg["To"] = single_line(to_address)
    msg["Subject"] = single_line(subject)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or "riskreg")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    request_id = current_request_id()
    if request_id:  # the request (or job) that caused it: a bounce or a complaint leads to its log lines
        msg[REQUEST_ID_HEADER] = request_id
    msg.set_content(body)
    return msg


def deliver(msg: EmailMessage, timeout: float | None = None) -> None:
    """One connection per mail: a refusal for one address cannot spoil the others."""
    config = current_app.config
    timeout = timeout or config["MAIL_TIMEOUT"]
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(msg)


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def send(rows: list[OutboxMessage]) -> SendReport:
    """Try each row once and record the outcome on it (the caller commits)."""
    report = SendReport()
    for row in rows:
        row.attempts += 1
        try:
            deliver(email_message(row.to_address, row.subject, row.body))
        except (smtplib.SMTPException, OSError, ValueError) as error:
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            report.failed.append((row.to_address, row.last_error))
            metrics.count_mail_failure()
            logger.warning("mail %s to %s (%s) not sent: %s", row.id, row.to_address, row.subject, error)
        else:
            row.sent_at, row.last_error = utcnow(), None
            report.sent.append(row.to_address)
            logger.info("mail %s to %s sent", row.id, row.to_address)
    return report


def retry(limit: int = 500) -> SendReport:
    """Send what is still queued, oldest first (`flask mail retry`, from cron)."""
    rows = list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    report = send(rows)
    db.session.commit()
    return report


def queued_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.sent_at.is_(None))) or 0


@dataclass(frozen=True)
class _Flushed:
    """What sending needs, copied at flush time: after the commit the rows are expired and the
    session cannot run SQL inside the commit hook."""

    id: int
    to_address: str
    subject: str
    body: str


@event.listens_for(Session, "after_flush_postexec")
def _copy_flushed(session: Session, _context: Any) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        flushed = session.info.setdefault(_FLUSHED, [])
        flushed.extend(_Flushed(row.id, row.to_address, row.subject, row.body) for row in pending)
        pending.clear()


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    """The change is committed: send its messages now and record each outcome on a connection of
    its own. Nothing here may raise: the caller's commit has already succeeded."""
    flushed = session.info.pop(_FLUSHED, [])
    session.info.pop(_PENDING, None)
    if not flushed:
        return
    try:
        outcomes = [_try(item) for item in flushed]
        with db.engine.begin() as connection:
            for item, error in outcomes:
                values = {"attempts": OutboxMessage.attempts + 1, "last_error": error}
                if error is None:
                    values["sent_at"] = utcnow()
                connection.execute(sa.update(OutboxMessage).where(OutboxMessage.id == item.id).values(values))
    except Exception:
        logger.exception("sending or recording %d mails failed; `flask mail retry` sends them", len(flushed))


def _try(item: _Flushed) -> tuple[_Flushed, str | None]:
    try:
        deliver(email_message(item.to_address, item.subject, item.body))
    except (smtplib.SMTPException, OSError, ValueError) as error:
        metrics.count_mail_failure()
        logger.warning("mail %s to %s (%s) not sent: %s", item.id, item.to_address, item.subject, error)
        return item, f"{type(error).__name__}: {error}"[:2000]
    logger.info("mail %s to %s sent", item.id, item.to_address)
    return item, None


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_FLUSHED, None)


_FLUSHED = "riskreg.mail.flushed"
