"""Trigger mails: one per person per recompute (the owners of the flagged risks and the indicator's
owner), queued through riskreg.mail in the transaction that raised the triggers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from riskreg import mail
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n import ngettext
from riskreg.i18n.reference import translate
from riskreg.indicators.words import status_words


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
        items = per_user[user.id]
        # In the recipient's language (their setting, else the company's), whoever's request raised it.
        with mail.in_language_of(user):
            mail.notify(
                "review_trigger",
                user,
                subject(items, site_names),
                "indicators/email/trigger.txt",
                items=items,
                site_names=site_names,
            )


def subject(items: list[tuple[Any, Any, list[Any]]], site_names: dict[int, str]) -> str:
    first_trigger, first_indicator, _risks = items[0]
    site = site_names.get(first_indicator.site_id, "")
    label, state = translate(first_indicator.definition.label), status_words(first_trigger.new_status).lower()
    if len(items) > 1:
        return ngettext(
            "riskreg: review needed at %(site)s: %(label)s is %(state)s and %(num)d more",
            "riskreg: review needed at %(site)s: %(label)s is %(state)s and %(num)d more",
            len(items) - 1,
            site=site,
            label=label,
            state=state,
        )
    return _(
        "riskreg: review needed at %(site)s: %(label)s is %(state)s", site=site, label=label, state=state
    )
