"""Links from risks and controls to standard requirements, named by requirement code.

Links are written through the association tables (the relationships are lazy="raise"), and each
change comes back as [old codes, new codes] for the owner's audit event. An unknown code is refused
before anything is written.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit, reads
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.standards.models import Requirement


class LinkError(ValueError):
    pass


def resolve_codes(codes: list[str] | None) -> dict[str, int]:
    """Requirement id of every code; raise LinkError naming the codes that do not exist."""
    wanted = sorted({code.strip() for code in codes or [] if code and code.strip()})
    if not wanted:
        return {}
    found = dict(
        db.session.execute(
            sa.select(Requirement.code, Requirement.id).where(Requirement.code.in_(wanted))
        ).all()
    )
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise LinkError(
            _l(
                "Unknown standard requirement(s): %(codes)s. "
                "Choose requirements from the catalogue (/standards).",
                codes=", ".join(unknown),
            )
        )
    return found


def _tables() -> dict[str, tuple[sa.Table, sa.Column]]:
    from riskreg.controls.models import control_requirements
    from riskreg.risks.models import risk_requirements

    return {
        "risk": (risk_requirements, risk_requirements.c.risk_id),
        "control": (control_requirements, control_requirements.c.control_id),
    }


def linked_codes(kind: str, owner_id: int) -> list[str]:
    table, owner = _tables()[kind]
    return sorted(
        db.session.scalars(
            sa.select(Requirement.code)
            .join(table, table.c.requirement_id == Requirement.id)
            .where(owner == owner_id)
        )
    )


def replace_links(kind: str, owner_id: int, codes: list[str] | None) -> list[list[str]] | None:
    """Make the owner's links exactly `codes`; returns [old, new] or None when nothing changed."""
    table, owner = _tables()[kind]
    ids = resolve_codes(codes)
    new = sorted(ids)
    old = linked_codes(kind, owner_id)
    if old == new:
        return None
    keep = set(ids.values())
    current = set(db.session.scalars(sa.select(table.c.requirement_id).where(owner == owner_id)))
    if current - keep:
        db.session.execute(
            sa.delete(table).where(owner == owner_id, table.c.requirement_id.in_(current - keep))
        )
    if keep - current:
        db.session.execute(
            sa.insert(table), [{owner.key: owner_id, "requirement_id": rid} for rid in sorted(keep - current)]
        )
    return [old, new]


def set_risk_requirements(risk: Any, codes: list[str]) -> list[list[str]] | None:
    """The caller records the change in the risk's own create or update event."""
    change = replace_links("risk", risk.id, codes)
    if change is not None:
        risk.updated_at = utcnow()  # an UPDATE of the row moves its version: concurrent editors notice
    return change


def set_control_requirements(control: Any, codes: list[str], actor: Any) -> list[list[str]] | None:
    change = replace_links("control", control.id, codes)
    if change is not None:
        control.updated_at = utcnow()
        db.session.flush()
        audit.record("control", control.id, "update", actor, {"requirements": change})
    return change


def control_requirement_codes(controls: list[Any]) -> dict[int, list[str]]:
    """Requirement codes of each control, in one query (the risk and control pages list them)."""
    codes: dict[int, list[str]] = {control.id: [] for control in controls}
    if codes:
        for control_id, code in reads.rows(_control_codes(), {"ids": list(codes)}):
            codes[control_id].append(code)
    return codes


@functools.cache
def _control_codes() -> sa.Select:
    """Built once (a risk's page runs it): its cache key is not derived anew on each page."""
    from riskreg.controls.models import control_requirements

    return (
        sa.select(control_requirements.c.control_id, Requirement.code)
        .join(Requirement, Requirement.id == control_requirements.c.requirement_id)
        .where(control_requirements.c.control_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Requirement.code)
    )
