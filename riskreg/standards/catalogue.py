"""The standards catalogue: seeds/standards.toml loaded into Requirement rows, as an idempotent upsert.

A requirement is matched by its code, so editing a summary and loading again keeps every link from
risks and controls. A requirement dropped from the file is deleted only when nothing links to it;
otherwise the whole load is refused with the list of links, before anything is written.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from riskreg import audit
from riskreg.extensions import db
from riskreg.standards.models import Requirement

logger = logging.getLogger(__name__)

REQUIRED = ("code", "framework_key", "framework", "edition", "identifier", "title")
OPTIONAL = ("summary", "audit_evidence", "scope", "version_notes")
FIELDS = REQUIRED + OPTIONAL
MAX_LENGTH = {
    "code": 40,
    "framework_key": 24,
    "framework": 200,
    "edition": 200,
    "identifier": 200,
    "title": 200,
    "scope": 80,
}


class CatalogueError(ValueError):
    """The file is malformed, or the load would break links; nothing was written."""


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    core: bool


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    def __str__(self) -> str:
        parts = [
            f"{len(self.created)} created",
            f"{len(self.updated)} updated",
            f"{len(self.deleted)} deleted",
            f"{self.unchanged} unchanged",
        ]
        return "Standards catalogue: " + ", ".join(parts) + "."


def default_path() -> Path:
    return Path(current_app.config["SEEDS_DIR"]) / "standards.toml"


def read_catalogue(path: Path | str | None = None) -> tuple[list[Framework], list[dict[str, str]]]:
    """Parse and check the whole file; raise CatalogueError naming the first problem found."""
    path = Path(path) if path else default_path()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise CatalogueError(f"No standards file at {path}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.name} is not valid TOML: {exc}") from exc
    frameworks = parse_frameworks(data.get("frameworks", []))
    keys = {fw.key for fw in frameworks}
    requirements: list[dict[str, str]] = []
    codes: set[str] = set()
    identities: dict[tuple[str, str, str], str] = {}
    for number, item in enumerate(data.get("requirements", []), start=1):
        row = _requirement(item, number)
        if row["code"] in codes:
            raise CatalogueError(f"Requirement code {row['code']} appears twice.")
        if row["framework_key"] not in keys:
            raise CatalogueError(
                f"Requirement {row['code']}: unknown framework {row['framework_key']!r}; "
                f"declare it under [[frameworks]] (known: {', '.join(sorted(keys))})."
            )
        identity = (row["framework"], row["edition"], row["identifier"])
        if identity in identities:
            raise CatalogueError(
                f"Requirements {identities[identity]} and {row['code']} have the same framework, "
                "edition and identifier."
            )
        codes.add(row["code"])
        identities[identity] = row["code"]
        requirements.append(row)
    return frameworks, requirements


def parse_frameworks(items: list[Any]) -> list[Framework]:
    frameworks: list[Framework] = []
    for item in items:
        key, name = str(item.get("key", "")).strip(), str(item.get("name", "")).strip()
        if not key or not name:
            raise CatalogueError("Every [[frameworks]] entry needs a key and a name.")
        if len(key) > MAX_LENGTH["framework_key"]:
            raise CatalogueError(f"Framework key {key!r} is longer than {MAX_LENGTH['framework_key']}.")
        if key in {fw.key for fw in frameworks}:
            raise CatalogueError(f"Framework {key} is declared twice.")
        frameworks.append(Framework(key, name, bool(item.get("core", False))))
    return frameworks


def _requirement(item: dict[str, Any], number: int) -> dict[str, str]:
    label = item.get("code") or f"number {number}"
    row: dict[str, str] = {}
    for name in FIELDS:
        value = item.get(name, "")
        if not isinstance(value, str):
            raise CatalogueError(f"Requirement {label}: {name} must be text.")
        value = value.strip()
        if name in REQUIRED and not value:
            raise CatalogueError(f"Requirement {label}: {name} is missing.")
        limit = MAX_LENGTH.get(name)
        if limit and len(value) > limit:
            raise CatalogueError(f"Requirement {label}: {name} is longer than {limit} characters.")
        row[name] = value
    unknown = set(item) - set(FIELDS)
    if unknown:
        raise CatalogueError(f"Requirement {label}: unknown field(s) {', '.join(sorted(unknown))}.")
    return row


def links_to(requirement_ids: list[int]) -> dict[int, list[str]]:
    """Refs of the risks and controls linked to each requirement (two queries)."""
    from riskreg.controls.models import Control, control_requirements
    from riskreg.risks.models import Risk, risk_requirements

    found: dict[int, list[str]] = {}
    if not requirement_ids:
        return found
    for table, model in ((risk_requirements, Risk), (control_requirements, Control)):
        owner = table.c.risk_id if model is Risk else table.c.control_id
        rows = db.session.execute(
            sa.select(table.c.requirement_id, model.ref)
            .join(model, model.id == owner)
            .where(table.c.requirement_id.in_(requirement_ids))
            .order_by(model.ref)
        )
        for requirement_id, ref in rows:
            found.setdefault(requirement_id, []).append(ref)
    return found


def load_standards(path: Path | str | None = None, actor: Any = None) -> LoadReport:
    """Create, update and delete Requirement rows to match the file; flushes, never commits.

    Every row created, changed or deleted is audited with its old and new values, in the caller's
    transaction (the actor is None when the command line loads the file)."""
    _, wanted = read_catalogue(path)
    existing = {r.code: r for r in db.session.scalars(sa.select(Requirement))}
    wanted_codes = {row["code"] for row in wanted}
    removed = [r for code, r in existing.items() if code not in wanted_codes]
    links = links_to([r.id for r in removed])
    if links:
        listing = "; ".join(
            f"{r.code} (linked to {', '.join(links[r.id])})" for r in removed if r.id in links
        )
        raise CatalogueError(
            "Not loaded: these requirements are no longer in the file but risks or controls link to "
            f"them. Unlink them or keep them in the file. {listing}."
        )
    report = LoadReport()
    for requirement in removed:
        gone = audit.diff(audit.snapshot(requirement, FIELDS), dict.fromkeys(FIELDS))
        audit.record("requirement", requirement.id, "deleted", actor, gone, note="standards catalogue")
        db.session.delete(requirement)
        report.deleted.append(requirement.code)
    db.session.flush()  # free the identities of deleted rows before inserting
    added: list[Requirement] = []
    for row in wanted:
        requirement = existing.get(row["code"])
        if requirement is None:
            added.append(Requirement(**row))
            report.created.append(row["code"])
        elif changes := audit.diff(audit.snapshot(requirement, FIELDS), row):
            for name, value in row.items():
                setattr(requirement, name, value)
            audit.record("requirement", requirement.id, "updated", actor, changes, note="standards catalogue")
            report.updated.append(row["code"])
        else:
            report.unchanged += 1
    db.session.add_all(added)
    db.session.flush()  # the ids the audit events name
    for requirement in added:
        made = audit.diff(dict.fromkeys(FIELDS), audit.snapshot(requirement, FIELDS))
        audit.record("requirement", requirement.id, "created", actor, made, note="standards catalogue")
    logger.info("standards loaded: %s", report)
    return report
