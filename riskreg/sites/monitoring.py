"""ASM monitoring at a site: observations, and the site's ASM presence that follows from them.

Rule (documented in the README): over the last ASM_PRESENCE_WINDOW_DAYS, an observation of ASM on
the concession makes the site `on_site`; otherwise one adjacent to it, or at a distance of at most
ASM_ADJACENT_KM, makes it `adjacent`; otherwise `none`. An observation whose miner estimate is 0
records a check that found no activity: it keeps monitoring fresh but is not ASM presence. A
presence set by hand (with a reason) holds until someone chooses to follow the observations again.
Every change of presence is an audit event on the site, in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites.models import (
    ActivityType,
    AsmObservation,
    AsmPresence,
    ChemicalUse,
    FormalisationStatus,
    ObservationLocation,
    ObservationSource,
    OecdLegitimacy,
    PresenceSource,
    Site,
    WomenParticipation,
)

logger = logging.getLogger(__name__)

LEVEL_PRESENCE = {0: AsmPresence.NONE, 1: AsmPresence.ADJACENT, 2: AsmPresence.ON_SITE}
PRESENCE_LEVEL = {presence: level for level, presence in LEVEL_PRESENCE.items()}
OBSERVATION_FIELDS = (
    "site_id",
    "observed_on",
    "location",
    "distance_km",
    "miners_estimate",
    "minerals",
    "activity_type",
    "mercury_use",
    "cyanide_use",
    "children_seen",
    "women_participation",
    "security_incident",
    "formalisation_status",
    "oecd_legitimacy",
    "source",
    "notes",
    "submission_id",  # set by the field-data import only
)
PRESENCE_FIELDS = ("asm_presence", "asm_presence_source", "asm_presence_reason")
OBSERVATION_ENUMS: dict[str, type] = {
    "location": ObservationLocation,
    "activity_type": ActivityType,
    "mercury_use": ChemicalUse,
    "cyanide_use": ChemicalUse,
    "women_participation": WomenParticipation,
    "formalisation_status": FormalisationStatus,
    "oecd_legitimacy": OecdLegitimacy,
    "source": ObservationSource,
}


class MonitoringError(ValueError):
    """Bad monitoring input; `field` names the form field to show it against."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def adjacent_km() -> float:
    return float(current_app.config["ASM_ADJACENT_KM"])


def window_start(on: date | None = None) -> date:
    return (on or today()) - timedelta(days=int(current_app.config["ASM_PRESENCE_WINDOW_DAYS"]))


def observation_level(location: Any, distance_km: float | None, miners: int | None, km: float) -> int:
    """2 on the concession, 1 adjacent (or within km), 0 otherwise or when no miner was seen."""
    if miners is not None and miners <= 0:
        return 0
    location = ObservationLocation(location)
    if location is ObservationLocation.ON_CONCESSION:
        return 2
    if location is ObservationLocation.ADJACENT:
        return 1
    return 1 if distance_km is not None and distance_km <= km else 0


def derive_presence(
    observations: Iterable[tuple[date, Any, float | None, int | None]], since: date, km: float
) -> AsmPresence:
    """Pure form of the rule over (date, location, distance_km, miners) tuples observed since `since`."""
    levels = [
        observation_level(location, distance, miners, km)
        for observed_on, location, distance, miners in observations
        if observed_on >= since
    ]
    return LEVEL_PRESENCE[max(levels, default=0)]


def level_expression(km: float) -> sa.ColumnElement[int]:
    """The same rule in SQL, per observation row (used by GROUP BY queries)."""
    seen = sa.or_(AsmObservation.miners_estimate.is_(None), AsmObservation.miners_estimate > 0)
    return sa.case(
        (sa.and_(seen, AsmObservation.location == ObservationLocation.ON_CONCESSION), 2),
        (
            sa.and_(
                seen,
                sa.or_(
                    AsmObservation.location == ObservationLocation.ADJACENT,
                    sa.and_(
                        AsmObservation.location == ObservationLocation.DISTANT,
                        AsmObservation.distance_km <= km,
                    ),
                ),
            ),
            1,
        ),
        else_=0,
    )


def derived_presences(on: date | None = None, site_id: int | None = None) -> dict[int, AsmPresence]:
    """Presence from observations for every site (one GROUP BY); sites without any are absent."""
    stmt = (
        sa.select(AsmObservation.site_id, sa.func.max(level_expression(adjacent_km())))
        .where(AsmObservation.observed_on >= window_start(on), AsmObservation.observed_on <= (on or today()))
        .group_by(AsmObservation.site_id)
    )
    if site_id is not None:
        stmt = stmt.where(AsmObservation.site_id == site_id)
    return {sid: LEVEL_PRESENCE[int(level or 0)] for sid, level in db.session.execute(stmt)}


def derived_presence(site: Site, on: date | None = None) -> AsmPresence:
    return derived_presences(on, site.id).get(site.id, AsmPresence.NONE)


def _apply(site: Site, values: dict[str, Any], actor: Any, note: str) -> dict[str, list[Any]]:
    before = audit.snapshot(site, PRESENCE_FIELDS)
    for name, value in values.items():
        setattr(site, name, value)
    changes = audit.diff(before, audit.snapshot(site, PRESENCE_FIELDS))
    if changes:
        db.session.flush()
        audit.record("site", site.id, "presence", actor, changes, note)
        logger.info("site %s ASM presence %s", site.id, changes)
    return changes


def refresh_presence(site: Site, actor: Any, on: date | None = None) -> dict[str, list[Any]]:
    """Bring a site that follows its observations up to date; a manual presence is left alone."""
    if site.asm_presence_source is PresenceSource.MANUAL:
        return {}
    presence = derived_presence(site, on)
    days = current_app.config["ASM_PRESENCE_WINDOW_DAYS"]
    return _apply(
        site, {"asm_presence": presence}, actor, f"Derived from observations of the last {days} days"
    )


def set_presence_manually(site: Site, presence: AsmPresence, reason: str, actor: Any) -> dict[str, list[Any]]:
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError("reason", _l("Give the reason for setting the ASM presence by hand."))
    values = {
        "asm_presence": AsmPresence(presence),
        "asm_presence_source": PresenceSource.MANUAL,
        "asm_presence_reason": reason,
    }
    return _apply(site, values, actor, "Set by hand")


def follow_observations(site: Site, actor: Any) -> dict[str, list[Any]]:
    values = {
        "asm_presence": derived_presence(site),
        "asm_presence_source": PresenceSource.OBSERVATIONS,
        "asm_presence_reason": "",
    }
    return _apply(site, values, actor, "Follows the observations again")


def refresh_all(actor: Any = None) -> list[tuple[Site, dict[str, list[Any]]]]:
    """For a daily job: observations age out of the window even when nobody records a new one."""
    derived = derived_presences()
    changed = []
    for site in db.session.scalars(
        sa.select(Site).where(Site.asm_presence_source == PresenceSource.OBSERVATIONS)
    ):
        presence = derived.get(site.id, AsmPresence.NONE)
        if presence is not site.asm_presence:
            note = "Derived from observations (scheduled refresh)"
            changed.append((site, _apply(site, {"asm_presence": presence}, actor, note)))
    return changed


def check_observation(data: dict[str, Any]) -> None:
    """Rules the database cannot state; the form shows the message next to the field."""
    observed_on = data.get("observed_on")
    if observed_on is None:
        raise MonitoringError("observed_on", _l("Give the date of the observation."))
    if observed_on > today():
        raise MonitoringError("observed_on", _l("The date of an observation cannot be in the future."))
    miners = data.get("miners_estimate")
    if miners is not None and miners < 0:
        raise MonitoringError(
            "miners_estimate", _l("The number of miners cannot be negative (0 means none seen).")
        )
    distance = data.get("distance_km")
    if distance is not None and distance < 0:
        raise MonitoringError("distance_km", _l("The distance cannot be negative."))
    location = data.get("location")
    if location is None:
        raise MonitoringError("location", _l("Say where the ASM was observed."))
    if location is ObservationLocation.DISTANT and distance is None:
        raise MonitoringError("distance_km", _l("Give the distance in km for ASM seen at a distance."))
    if location is ObservationLocation.ON_CONCESSION and distance:
        raise MonitoringError("distance_km", _l("ASM on the concession has no distance; leave it empty."))


def coerce_enums(values: dict[str, Any], enums: dict[str, type]) -> None:
    """Enum fields given as values (seeds, imports) become members; an unknown value is refused."""
    for name, enum_cls in enums.items():
        value = values.get(name)
        if value is None or isinstance(value, enum_cls):
            continue
        try:
            values[name] = enum_cls(value)
        except ValueError as exc:
            allowed = ", ".join(member.value for member in enum_cls)
            raise MonitoringError(
                name, _l("%(value)s is not one of: %(allowed)s.", value=repr(value), allowed=allowed)
            ) from exc


def add_observation(site: Site, data: dict[str, Any], actor: Any, refresh: bool = True) -> AsmObservation:
    """Record an observation (audited) and bring the site's presence up to date; flushes only.

    `refresh=False` (bulk loads) leaves the presence for one refresh_presence() at the end, and the
    indicators for one riskreg.indicators.services.recompute_sites().
    """
    values = {name: data.get(name) for name in OBSERVATION_FIELDS if name != "site_id"}
    values["minerals"] = (values.get("minerals") or "").strip()
    values["notes"] = (values.get("notes") or "").strip()
    values["children_seen"] = bool(values.get("children_seen"))
    values["security_incident"] = bool(values.get("security_incident"))
    coerce_enums(values, OBSERVATION_ENUMS)
    check_observation(values)
    observation = AsmObservation(site_id=site.id, recorded_by_id=getattr(actor, "id", None), **values)
    db.session.add(observation)
    db.session.flush()
    snapshot = audit.snapshot(observation, OBSERVATION_FIELDS)
    changes = {k: [None, v] for k, v in snapshot.items() if v not in (None, "")}
    audit.record("asm_observation", observation.id, "create", actor, changes, f"At {site.name}")
    if refresh:
        refresh_presence(site, actor)
        from riskreg.indicators.services import recompute_sites  # indicators follow in this transaction

        recompute_sites([site.id], actor)
    return observation
