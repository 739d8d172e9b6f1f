"""Departments from seeds/departments.toml, the risk templates, and the indicator library."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from riskreg import reference
from riskreg.departments.models import Department
from riskreg.extensions import db


def load_departments() -> int:
    """Create missing departments by name; returns how many were created."""
    existing = {name.lower() for name in db.session.scalars(sa.select(Department.name))}
    created = 0
    for item in reference.seed_file("departments.toml")["departments"]:
        if item["name"].lower() not in existing:
            db.session.add(Department(name=item["name"], description=item.get("description", "")))
            created += 1
    db.session.flush()
    return created


def load_indicator_library() -> Any:
    """The key risk indicator library (seeds/indicators.toml), upserted by id."""
    from riskreg.indicators.library import load_library

    return load_library()


def risk_templates() -> dict[str, dict[str, Any]]:
    return {t["code"]: t for t in reference.seed_file("risk_templates.toml")["templates"]}
