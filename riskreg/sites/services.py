"""Changes to sites, audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.extensions import db
from riskreg.sites.models import Site
from riskreg.text import single_line

SITE_FIELDS = (
    "name",
    "country",
    "region",
    "commodity",
    "latitude",
    "longitude",
    "lifecycle",
    "asm_approach",
    "description",
)


class SiteError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SiteConflict(Exception):
    pass


def _check_unique_name(name: str, site_id: int | None) -> None:
    name = single_line(name).strip()  # as it will be stored (riskreg.text)
    clash = db.session.scalar(sa.select(Site.id).where(sa.func.lower(Site.name) == name.lower()))
    if clash is not None and clash != site_id:
        raise SiteError("name", _l("A site called %(name)s already exists.", name=repr(name)))


def create_site(data: dict[str, Any], actor: Any) -> Site:
    _check_unique_name(data["name"], None)
    site = Site(**{name: data.get(name) for name in SITE_FIELDS})
    db.session.add(site)
    db.session.flush()
    audit.record("site", site.id, "create", actor, audit.diff({}, audit.snapshot(site, SITE_FIELDS)))
    return site


def update_site(site: Site, data: dict[str, Any], actor: Any, expected_version: int) -> dict:
    """The version is required: without it a save made in between would be silently overwritten."""
    if expected_version is None:
        raise TypeError("update_site needs the version the change was based on (expected_version)")
    if expected_version != site.version:
        raise SiteConflict()
    _check_unique_name(data["name"], site.id)
    before = audit.snapshot(site, SITE_FIELDS)
    for name in SITE_FIELDS:
        setattr(site, name, data.get(name))
    changes = audit.diff(before, audit.snapshot(site, SITE_FIELDS))
    if changes:
        db.session.flush()
        audit.record("site", site.id, "update", actor, changes)
    return changes
