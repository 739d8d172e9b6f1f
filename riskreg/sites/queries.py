"""Read side of the sites pages: the list's aggregates, a site's timeline and formalisation panel.

Every page runs a fixed number of queries whatever the number of sites, observations or risks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from riskreg import scoring
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites import monitoring
from riskreg.sites.models import AsmObservation, AsmPresence, Engagement, PresenceSource, Site


@dataclass
class SiteRow:
    site: Site
    last_observed: date | None = None
    miners_latest: int | None = None
    bands: dict[str, int] = field(default_factory=dict)  # open risks by residual band
    derived: AsmPresence = AsmPresence.NONE  # what the observations in the window say today

    @property
    def open_risks(self) -> int:
        return sum(self.bands.values())

    @property
    def stale(self) -> bool:
        return is_stale(self.site, self.last_observed)

    @property
    def presence_out_of_date(self) -> bool:
        return (
            self.site.asm_presence_source is PresenceSource.OBSERVATIONS
            and self.derived is not self.site.asm_presence
        )


def stale_before(on: date | None = None) -> date:
    return (on or today()) - timedelta(days=int(current_app.config["MONITORING_STALE_DAYS"]))


def is_stale(site: Site, last_observed: date | None) -> bool:
    """An active site with no observation within MONITORING_STALE_DAYS (or none at all)."""
    return site.active and (last_observed is None or last_observed < stale_before())


def latest_observations(site_id: int | None = None) -> dict[int, tuple[date, int | None]]:
    """(date, miners estimate) of each site's latest observation, from one windowed query."""
    ranked = sa.select(
        AsmObservation.site_id,
        AsmObservation.observed_on,
        AsmObservation.miners_estimate,
        sa.func.row_number()
        .over(
            partition_by=AsmObservation.site_id,
            order_by=(AsmObservation.observed_on.desc(), AsmObservation.id.desc()),
        )
        .label("rank"),
    )
    if site_id is not None:
        ranked = ranked.where(AsmObservation.site_id == site_id)
    sub = ranked.subquery()
    rows = db.session.execute(
        sa.select(sub.c.site_id, sub.c.observed_on, sub.c.miners_estimate).where(sub.c.rank == 1)
    )
    return {sid: (observed_on, miners) for sid, observed_on, miners in rows}


def open_risk_bands_by_site() -> dict[int, dict[str, int]]:
    """Open risks of every site by residual band: one GROUP BY (site, likelihood, impact, people)."""
    from riskreg.risks.models import Risk, RiskStatus

    stmt = (
        sa.select(
            Risk.site_id, Risk.residual_likelihood, Risk.residual_impact, Risk.direction, sa.func.count()
        )
        .where(Risk.status == RiskStatus.OPEN, Risk.site_id.is_not(None))
        .group_by(Risk.site_id, Risk.residual_likelihood, Risk.residual_impact, Risk.direction)
    )
    tallies = scoring.matrix().tally_by(db.session.execute(stmt))
    return {site_id: dict(counts) for site_id, counts in tallies.items()}


def site_rows() -> list[SiteRow]:
    """The /sites table: four queries in all."""
    matrix = scoring.matrix()
    sites = db.session.scalars(sa.select(Site).order_by(Site.name)).all()
    latest = latest_observations()
    bands = open_risk_bands_by_site()
    derived = monitoring.derived_presences()
    empty = {key: 0 for key in matrix.band_keys}
    rows = []
    for site in sites:
        observed_on, miners = latest.get(site.id, (None, None))
        rows.append(
            SiteRow(
                site,
                observed_on,
                miners,
                bands.get(site.id, dict(empty)),
                derived.get(site.id, AsmPresence.NONE),
            )
        )
    return rows


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str  # "observation" or "engagement"
    item: Any


def timeline(site: Site, limit: int | None = None) -> list[TimelineEntry]:
    """Observations and engagements on one date-sorted timeline, newest first (three queries)."""
    limit = limit or int(current_app.config["SITE_TIMELINE_LIMIT"])
    observations = db.session.scalars(
        sa.select(AsmObservation)
        .where(AsmObservation.site_id == site.id)
        .order_by(AsmObservation.observed_on.desc(), AsmObservation.id.desc())
        .limit(limit)
    )
    engagements = db.session.scalars(
        sa.select(Engagement)
        .where(Engagement.site_id == site.id)
        .order_by(Engagement.held_on.desc(), Engagement.id.desc())
        .limit(limit)
        .options(selectinload(Engagement.follow_up_controls))
    )
    entries = [TimelineEntry(o.observed_on, "observation", o) for o in observations]
    entries += [TimelineEntry(e.held_on, "engagement", e) for e in engagements]
    entries.sort(key=lambda entry: (entry.on, entry.kind == "engagement", entry.item.id), reverse=True)
    return entries[:limit]


def formalisation_support(site: Site, limit: int = 50) -> dict[str, list[Any]]:
    """Engagements and controls tagged as formalisation support at this site (two queries)."""
    from riskreg.controls.models import Control, ControlStatus, risk_controls
    from riskreg.risks.models import Risk, RiskStatus

    engagements = db.session.scalars(
        sa.select(Engagement)
        .where(Engagement.site_id == site.id, Engagement.formalisation_support.is_(True))
        .order_by(Engagement.held_on.desc(), Engagement.id.desc())
        .limit(limit)
    ).all()
    controls = db.session.scalars(
        sa.select(Control)
        .where(
            Control.formalisation_support.is_(True),
            Control.status != ControlStatus.CANCELLED,
            Control.id.in_(
                sa.select(risk_controls.c.control_id)
                .join(Risk, Risk.id == risk_controls.c.risk_id)
                .where(Risk.site_id == site.id, Risk.status != RiskStatus.ARCHIVED)
            ),
        )
        .order_by(Control.id)
        .limit(limit)
        .options(selectinload(Control.department))
    ).all()
    return {"engagements": list(engagements), "controls": list(controls)}
