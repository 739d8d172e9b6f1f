"""Reads for reviews: a risk's reviews (its page), the counts per risk (the export), the risks due
or flagged for review of one owner ("My work")."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg.extensions import db
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.reviews import rules
from riskreg.reviews.models import RiskReview
from riskreg.risks.models import Risk
from riskreg.urls import id_url

SHOWN = 20  # reviews listed on a risk's page (the total is counted)


@dataclass
class RiskReviews:
    items: list[RiskReview] = field(default_factory=list)
    total: int = 0


def risk_reviews(risk_id: int, limit: int = SHOWN) -> RiskReviews:
    """The risk's latest reviews with who made them, and how many there are (two queries)."""
    items = list(db.session.scalars(_risk_reviews(), {"risk_id": risk_id, "limit": limit}))
    total = len(items)
    if total == limit:
        total = db.session.scalar(sa.select(sa.func.count()).where(RiskReview.risk_id == risk_id)) or 0
    return RiskReviews(items, total)


@functools.cache
def _risk_reviews() -> sa.Select:
    """Built once (a risk's page runs it): its cache key is not derived anew on each page."""
    return (
        sa.select(RiskReview)
        .where(RiskReview.risk_id == sa.bindparam("risk_id"))
        .order_by(RiskReview.at.desc(), RiskReview.id.desc())
        .limit(sa.bindparam("limit"))
        .options(selectinload(RiskReview.by))
    )


def review_counts() -> sa.Subquery:
    """Per risk: how many reviews and when the last one was (grouped in SQL, for the export)."""
    return (
        sa.select(
            RiskReview.risk_id,
            sa.func.count().label("reviews"),
            sa.func.max(RiskReview.at).label("last_review"),
        )
        .group_by(RiskReview.risk_id)
        .subquery("review_counts")
    )


def open_flag_exists() -> sa.ColumnElement[bool]:
    from riskreg.indicators.models import ReviewFlag

    return sa.exists().where(ReviewFlag.risk_id == Risk.id, ReviewFlag.review_id.is_(None))


def owner_due_condition(user_id: int | sa.BindParameter[int], on: date) -> sa.ColumnElement[bool]:
    """The owner's risks due or overdue for review, or flagged by monitoring (open or draft)."""
    return sa.and_(
        Risk.owner_id == user_id,
        Risk.status.in_(rules.REVIEWED_STATUSES),
        sa.or_(
            rules.overdue_condition(on),
            rules.due_condition(on),
            open_flag_exists(),
        ),
    )


@functools.lru_cache(maxsize=2)
def _owner_due_listing(on: date) -> Any:
    """Built once a day (the day's dates are in its SQL), run with the owner's id bound."""
    from riskreg.me.sections import Listing

    return Listing(
        sa.select(Risk, open_flag_exists().label("flagged"))
        .where(owner_due_condition(sa.bindparam("user_id"), on))
        .order_by(Risk.next_review_date.asc().nulls_first(), Risk.id)
    )


def owner_due_risks(user_id: int, on: date) -> tuple[list[tuple[Risk, bool]], int]:
    """At most LIMIT of them with whether each is flagged, the most pressing first (earliest review
    date), and the total (counted up to CAP, riskreg.me.sections): one query."""
    rows, total = _owner_due_listing(on).run(user_id=user_id)
    return [(row[0], bool(row[1])) for row in rows], total


def review_detail(risk: Any, on: date, flagged: bool) -> str:
    state = rules.state_of(risk, on)
    when = day(risk.next_review_date)
    parts = []
    if state == "overdue":
        parts.append(_("review overdue since %(date)s", date=when))
    elif state == "due":
        parts.append(_("review due on %(date)s", date=when))
    if flagged:
        parts.append(_("flagged by monitoring"))
    return "; ".join(parts) or _("next review %(date)s", date=when)


def my_reviews(user: Any, on: date) -> Any:
    """ "My work": the risks the user owns that are due or overdue for review or flagged by
    monitoring (at most 20, overdue first, and the total: two queries)."""
    from riskreg.me.sections import Item, Section

    rows, total = owner_due_risks(user.id, on)
    if not total:
        return None
    risk_url = id_url("risks.detail", "risk_id", _anchor="reviews")
    items = [
        Item(
            label=f"{risk.ref} {risk.title}",
            url=risk_url(risk.id),
            detail=review_detail(risk, on, flagged),
            action_label=_l("Review"),
            urgent=flagged or rules.state_of(risk, on) == "overdue",
        )
        for risk, flagged in rows
    ]
    more = url_for("risks.list", owner=user.id, sort="review") if total > len(items) else None
    return Section("reviews", _l("Risks due or flagged for review"), items, total, more)
