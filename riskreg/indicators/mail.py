"""Trigger mails: built in the transaction that raised the trigger, sent right after it commits.

One mail per person per recompute: the owners of the flagged risks and the indicator's owner. A
rollback drops them (nothing happened); a mail server that refuses is logged, never raised: the
change is already committed and the flags show on every page.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from riskreg.extensions import db

logger = logging.getLogger(__name__)
PENDING = "riskreg.pending_mail"


def queue(session: Session, msg: EmailMessage) -> None:
    session.info.setdefault(PENDING, []).append(msg)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    messages = session.info.pop(PENDING, [])
    if not messages:
        return
    from riskreg.controls.reminders import deliver

    for msg in messages:
        try:
            deliver(msg)
        except (smtplib.SMTPException, OSError, ValueError) as error:
            logger.warning("mail to %s (%s) not sent: %s", msg["To"], msg["Subject"], error)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def queue_trigger_mails(triggers: list[Any], indicators: dict[int, Any], links: dict[int, list[Any]]) -> None:
    """Group what each person must look at, and queue one mail each (one query for the people)."""
    from riskreg.auth.models import User

    per_user: dict[int, list[tuple[Any, Any, list[Any]]]] = {}
    for trigger in triggers:
        indicator = indicators[trigger.site_indicator_id]
        risks = links.get(indicator.id, [])
        for user_id in {risk.owner_id for risk in risks} | ({indicator.owner_id} - {None}):
            mine = [risk for risk in risks if risk.owner_id == user_id]
            per_user.setdefault(user_id, []).append((trigger, indicator, mine))
    if not per_user:
        return
    from riskreg.sites.models import Site

    people = db.session.scalars(sa.select(User).where(User.id.in_(per_user), User.active.is_(True)))
    site_names = dict(
        db.session.execute(
            sa.select(Site.id, Site.name).where(Site.id.in_({i.site_id for i in indicators.values()}))
        ).all()
    )
    for user in people:
        queue(db.session(), message(user, per_user[user.id], site_names))


def message(user: Any, items: list[tuple[Any, Any, list[Any]]], site_names: dict[int, str]) -> EmailMessage:
    config = current_app.config
    first_trigger, first_indicator, _ = items[0]
    site = site_names.get(first_indicator.site_id, "")
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = user.email
    more = f" and {len(items) - 1} more" if len(items) > 1 else ""
    label, state = first_indicator.definition.label, first_trigger.new_status.value
    msg["Subject"] = f"riskreg: review needed at {site}: {label} is {state}{more}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or "riskreg")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        render_template(
            "indicators/email/trigger.txt",
            user=user,
            items=items,
            site_names=site_names,
            base_url=config["BASE_URL"].rstrip("/"),
        )
    )
    return msg
