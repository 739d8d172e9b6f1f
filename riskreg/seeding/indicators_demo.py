"""`flask seed demo`, indicators part: the library, then the demo's 18 months replayed day by day so
the on-site mine's influx and children seen cross their thresholds (triggers and flags with their
dates), the adjacent project's mercury is a signal without a risk (a gap), and the influx risk is
reassessed and the encroachment risk reviewed with no change (the history shows both). Idempotent:
nothing is replayed once the demo sites have indicators."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.indicators import reviews, services
from riskreg.indicators.library import load_library
from riskreg.indicators.models import ReviewKind, SiteIndicator
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk
from riskreg.sites.models import AsmObservation, Engagement, Site

OWNER = "risk@example.com"
ON_SITE_MINE = "Nyota Gold Mine"
NO_CHANGE_NOTE = (
    "Patrols and the boundary beacons keep new pits inside the northern lease; the residual score "
    "already assumes several hundred miners there."
)


def load_indicators_demo(sites: dict[str, Site], users: dict[str, User], report: Any) -> None:
    report.add("indicator definitions", len(load_library().created))
    ids = [site.id for site in sites.values()]
    if db.session.scalar(sa.select(SiteIndicator.id).where(SiteIndicator.site_id.in_(ids)).limit(1)):
        return
    actor = users.get(OWNER)
    triggers = 0
    for site in sites.values():
        for day in _monitoring_days(site.id):
            triggers += len(services.recompute_sites([site.id], actor, on=day, notify=False))
        triggers += len(services.recompute_sites([site.id], actor, notify=False))
    if actor is not None:
        db.session.execute(
            sa.update(SiteIndicator).where(SiteIndicator.site_id.in_(ids)).values(owner_id=actor.id)
        )
    report.add("indicator triggers", triggers)
    mine = sites.get(ON_SITE_MINE)
    if mine is not None:
        _answer_flags(mine, actor, users, report)


def _monitoring_days(site_id: int) -> list:
    days = set(
        db.session.scalars(sa.select(AsmObservation.observed_on).where(AsmObservation.site_id == site_id))
    )
    days |= set(db.session.scalars(sa.select(Engagement.held_on).where(Engagement.site_id == site_id)))
    return sorted(days)


def _risk(site: Site, template: str) -> Risk | None:
    return db.session.scalar(sa.select(Risk).where(Risk.site_id == site.id, Risk.template_code == template))


def _answer_flags(mine: Site, actor: Any, users: dict[str, User], report: Any) -> None:
    """The influx risk reassessed (likelihood up: the influx is real), the encroachment risk reviewed."""
    influx = _risk(mine, "A16")
    if influx is not None and reviews.open_flag_reasons([influx.id]):
        data = {name: getattr(influx, name) for name in risk_services.EDITABLE_FIELDS}
        data["inherent_likelihood"] = data["residual_likelihood"] = 4
        risk_services.update_risk(influx, data, actor, influx.version)
        report.add("reassessments")
    encroachment = _risk(mine, "A01")
    if encroachment is not None and reviews.open_flag_reasons([encroachment.id]):
        owner = db.session.get(User, encroachment.owner_id)
        reviews.review(encroachment, ReviewKind.NO_CHANGE, NO_CHANGE_NOTE, owner)
        report.add("reviews with no change")
