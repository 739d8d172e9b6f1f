"""The indicator library (seeds/indicators.toml): checked, then upserted by id (safe to repeat)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from riskreg import reference
from riskreg.extensions import db
from riskreg.indicators import compute
from riskreg.indicators.models import IndicatorDefinition, Worse

FIELDS = ("label", "kind", "unit", "window_days", "default_amber", "default_red", "worse", "categories")


class LibraryError(ValueError):
    """The library file is malformed; the message names the entry."""


@dataclass
class LibraryReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"Indicator library: {len(self.created)} created, {len(self.updated)} updated."


def parse_entry(item: dict[str, Any], categories: set[str], templates: set[str]) -> dict[str, Any]:
    code = str(item.get("id", "")).strip()
    where = f"indicator {code or '(no id)'}"
    try:
        values = {
            "code": code,
            "label": str(item["label"]),
            "kind": str(item["kind"]),
            "unit": str(item.get("unit", "")),
            "window_days": int(item.get("window_days", 90)),
            "default_amber": float(item["amber"]),
            "default_red": float(item["red"]),
            "worse": Worse(item.get("worse", "higher")),
            "categories": list(item.get("categories", [])),
            "templates": list(item.get("templates", [])),
            "description": str(item.get("description", "")),
        }
    except KeyError as exc:
        raise LibraryError(f"{where}: missing {exc}") from exc
    except ValueError as exc:
        raise LibraryError(f"{where}: {exc}") from exc
    if not code:
        raise LibraryError("every indicator needs an id")
    if values["kind"] not in compute.KINDS:
        raise LibraryError(f"{where}: unknown kind {values['kind']!r}")
    problem = compute.check_thresholds(values["default_amber"], values["default_red"], values["worse"])
    if problem:
        raise LibraryError(f"{where}: {problem}")
    unknown = (set(values["categories"]) - categories) | (set(values["templates"]) - templates)
    if unknown:
        raise LibraryError(f"{where}: unknown categories or templates: {', '.join(sorted(unknown))}")
    return values


def load_library(entries: list[dict[str, Any]] | None = None) -> LibraryReport:
    """Create or update every definition by code; flushes only."""
    from riskreg.standards.templates import all_templates

    if entries is None:
        entries = reference.seed_file("indicators.toml")["indicators"]
    categories = set(reference.categories())
    templates = {t["code"] for t in all_templates()}
    parsed = [parse_entry(item, categories, templates) for item in entries]
    existing = {d.code: d for d in db.session.scalars(sa.select(IndicatorDefinition))}
    report = LibraryReport()
    for values in parsed:
        definition = existing.get(values["code"])
        if definition is None:
            db.session.add(IndicatorDefinition(**values))
            report.created.append(values["code"])
            continue
        changed = False
        for name, new in values.items():
            if getattr(definition, name) != new:
                setattr(definition, name, new)
                changed = True
        if changed:
            report.updated.append(values["code"])
    db.session.flush()
    return report
