"""/api/v1/sites and their ASM observations (recorded through riskreg/sites/monitoring.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, url_for
from sqlalchemy.orm.exc import StaleDataError

from riskreg import params
from riskreg.api import schemas
from riskreg.api.io import respond, rule_broken
from riskreg.api.problems import Problem
from riskreg.api.risks import history_of
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.sites import monitoring
from riskreg.sites.models import AsmObservation, Engagement, Site


def find(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        raise Problem(404, _("There is no site with id %(id)s.", id=site_id))
    return site


def list_sites():
    sites = db.session.scalars(sa.select(Site).order_by(Site.name))
    return respond(schemas.SiteList(items=[schemas.Site.model_validate(site) for site in sites]))


def get_site(site_id: int):
    return respond(schemas.Site.model_validate(find(site_id)))


def site_history(site_id: int):
    find(site_id)
    return respond(history_of("site", site_id))


def _newest_first(site_id: int, model: Any, day: Any, endpoint: str, item: Any, page_schema: Any):
    """A site's rows, newest first, a page at a time with next/prev links (observations, engagements)."""
    find(site_id)
    page, per_page = params.page_args()
    where = model.site_id == site_id
    total = db.session.scalar(sa.select(sa.func.count(model.id)).where(where))
    rows = db.session.scalars(
        sa.select(model)
        .where(where)
        .order_by(day.desc(), model.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    links = schemas.Links()
    if page * per_page < total:
        links.next = url_for(endpoint, site_id=site_id, page=page + 1, per_page=per_page)
    if page > 1:
        links.prev = url_for(endpoint, site_id=site_id, page=page - 1, per_page=per_page)
    items = [item.model_validate(row) for row in rows]
    return respond(page_schema(items=items, total=total, links=links))


def list_observations(site_id: int):
    return _newest_first(
        site_id,
        AsmObservation,
        AsmObservation.observed_on,
        "api.list_observations",
        schemas.Observation,
        schemas.ObservationPage,
    )


def list_engagements(site_id: int):
    return _newest_first(
        site_id,
        Engagement,
        Engagement.held_on,
        "api.list_engagements",
        schemas.EngagementOut,
        schemas.EngagementPage,
    )


def create_observation(site_id: int, body: schemas.ObservationCreate):
    site = find(site_id)
    try:
        observation = monitoring.add_observation(site, body.model_dump(), g._login_user)
        observation_id = observation.id
        db.session.commit()
    except monitoring.MonitoringError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    except StaleDataError:
        db.session.rollback()
        raise Problem(
            409, _("Someone else changed this site at the same moment; nothing was saved.")
        ) from None
    created = schemas.Observation.model_validate(db.session.get(AsmObservation, observation_id))
    return respond(created, 201)


def _query():
    from riskreg.api.spec import Param

    return (
        Param("page", {"type": "integer", "minimum": 1}),
        Param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
    )


QUERY = _query()
