"""The evidence behind one requirement's coverage: its controls, engagements and risks, per site."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from riskreg.extensions import db
from riskreg.standards.coverage import GROUP_LABEL, Cell, _control_sites, engagement_requirement_pairs
from riskreg.standards.models import Requirement


@dataclass
class ColumnEvidence:
    label: str
    controls: list[Any] = field(default_factory=list)
    engagements: list[Any] = field(default_factory=list)
    risks: list[Any] = field(default_factory=list)

    @property
    def cell(self) -> Cell:
        from riskreg.controls.models import ControlStatus

        cell = Cell(risks=len(self.risks), engagements=len(self.engagements))
        for control in self.controls:
            if control.status is ControlStatus.PLANNED:
                cell.planned += 1
            elif control.status is not ControlStatus.CANCELLED:
                cell.active += 1
        return cell


def requirement_evidence(requirement: Requirement) -> list[ColumnEvidence]:
    """One entry per active site (by name) and one for the Group, in a fixed number of queries."""
    from riskreg.controls.models import Control, control_requirements
    from riskreg.risks.models import Risk, RiskStatus, risk_requirements
    from riskreg.sites.models import Engagement, Site

    sites = db.session.execute(
        sa.select(Site.id, Site.name).where(Site.active.is_(True)).order_by(Site.name)
    ).all()
    columns: dict[int | None, ColumnEvidence] = {s.id: ColumnEvidence(s.name) for s in sites}
    columns[None] = ColumnEvidence(str(GROUP_LABEL))

    controls = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Control)
            .join(control_requirements, control_requirements.c.control_id == Control.id)
            .where(control_requirements.c.requirement_id == requirement.id)
            .order_by(Control.ref)
            .options(selectinload(Control.department))
        )
    }
    pairs = _control_sites()
    placed: dict[int, set[int | None]] = defaultdict(set)
    if controls:
        for control_id, site_id in db.session.execute(
            sa.select(pairs.c.control_id, pairs.c.site_id).where(pairs.c.control_id.in_(list(controls)))
        ):
            placed[control_id].add(site_id)
    for control_id, control in controls.items():
        for site_id in placed.get(control_id) or {None}:
            if site_id in columns:
                columns[site_id].controls.append(control)

    evidence = engagement_requirement_pairs([requirement.id])
    engagements = db.session.scalars(
        sa.select(Engagement)
        .where(Engagement.id.in_(sa.select(evidence.c.engagement_id)))
        .order_by(Engagement.held_on.desc(), Engagement.id.desc())
    )
    for engagement in engagements:
        if engagement.site_id in columns:
            columns[engagement.site_id].engagements.append(engagement)

    risks = db.session.scalars(
        sa.select(Risk)
        .join(risk_requirements, risk_requirements.c.risk_id == Risk.id)
        .where(risk_requirements.c.requirement_id == requirement.id, Risk.status != RiskStatus.ARCHIVED)
        .order_by(Risk.id)
    )
    for risk in risks:
        if risk.site_id in columns:
            columns[risk.site_id].risks.append(risk)
    return list(columns.values())
