"""Appetite changes: the seed (missing categories only) and an admin's edit, audited."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit, reads, reference, scoring
from riskreg.appetite.models import CategoryAppetite
from riskreg.extensions import db

ENTITY_ID = 0  # the appetite table is one thing in the audit trail: every change lists its categories


class AppetiteError(ValueError):
    pass


def stored() -> dict[str, str]:
    """Category -> band key (one query)."""
    return dict(reads.rows(_stored()))


@functools.cache
def _stored() -> sa.Select:  # built once: the register and the dashboard read it on every view
    return sa.select(CategoryAppetite.category, CategoryAppetite.max_band)


def load_seed() -> int:
    """Appetites from seeds/appetite.toml for categories that have none yet; returns how many."""
    have = stored()
    keys = scoring.matrix().band_keys
    created = 0
    for category, band in reference.seed_file("appetite.toml").get("appetite", {}).items():
        if category in have or category not in reference.categories():
            continue
        if band not in keys:
            raise AppetiteError(f"seeds/appetite.toml: {band!r} is not a band of the matrix ({category}).")
        db.session.add(CategoryAppetite(category=category, max_band=band))
        created += 1
    db.session.flush()
    return created


def set_appetites(chosen: Mapping[str, str | None], actor: Any) -> dict[str, list[Any]]:
    """Set each category's appetite (None or "": no appetite stated). Unknown categories or bands are
    refused before anything is written. Returns the changes (audited as one event)."""
    categories = reference.categories()
    keys = scoring.matrix().band_keys
    for category, band in chosen.items():
        if category not in categories:
            raise AppetiteError(
                _l("%(category)s is not a category of the taxonomy.", category=repr(category))
            )
        if band not in (None, "") and band not in keys:
            raise AppetiteError(_l("%(band)s is not a band of the matrix.", band=repr(band)))
    rows = {row.category: row for row in db.session.scalars(sa.select(CategoryAppetite))}
    changes: dict[str, list[Any]] = {}
    for category, band in chosen.items():
        band = band or None
        row = rows.get(category)
        old = row.max_band if row else None
        if old == band:
            continue
        if band is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(CategoryAppetite(category=category, max_band=band, updated_by_id=actor.id))
        else:
            row.max_band, row.updated_by_id = band, actor.id
        changes[category] = [old, band]
    if changes:
        db.session.flush()
        audit.record("appetite", ENTITY_ID, "update", actor, changes)
    return changes
