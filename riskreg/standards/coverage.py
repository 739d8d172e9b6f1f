"""Coverage of the standards: each requirement against each site, from a few GROUP BY queries.

A requirement is *covered* at a site when at least one control linked to it (control_requirements)
is in progress, implemented or verified; *planned* when its linked controls there are only planned;
a *gap* otherwise. A control counts for a site through the (non-archived) risks it mitigates at that
site. Controls of corporate risks, and controls that mitigate no risk, count in the *Group* column
and not at every site: site-level standards (IRMA, RJC, Copper Mark, BPP) are assessed per site and
an assessor looks for that site's evidence; company-level requirements (GRI, RMI) read the Group
column. Cancelled controls never count. Engagements are evidence where one of their follow-up
controls is linked to the requirement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.standards import settings
from riskreg.standards.models import Requirement

COVERED, PLANNED, GAP = "covered", "planned", "gap"
# Lazy: read in the reader's language (a workbook cell takes str() of them, as Cell.label gives).
STATE_LABELS = {COVERED: _l("Covered"), PLANNED: _l("Planned only"), GAP: _l("Gap")}
# The colours of .cov-covered, .cov-planned and .cov-gap in static/css/app.css (the workbook's too).
STATE_COLOURS = {COVERED: "#E6F4EA", PLANNED: "#FFF8E1", GAP: "#FDECEA"}
GROUP_LABEL = _l("Group (corporate)")


@dataclass
class Cell:
    active: int = 0  # linked controls in progress, implemented or verified
    planned: int = 0
    risks: int = 0  # risks at the site linked to the requirement
    engagements: int = 0
    last_engagement: date | None = None

    @property
    def state(self) -> str:
        return COVERED if self.active else PLANNED if self.planned else GAP

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass
class RequirementRow:
    requirement: Requirement
    cells: dict[int | None, Cell]  # site id, None for the Group column


@dataclass
class FrameworkBlock:
    key: str
    name: str
    rows: list[RequirementRow] = field(default_factory=list)


@dataclass
class CoverageMatrix:
    columns: list[tuple[int | None, str]]  # (site id or None, label), sites by name then Group
    frameworks: list[FrameworkBlock]

    def totals(self) -> dict[str, int]:
        counts = {COVERED: 0, PLANNED: 0, GAP: 0}
        for block in self.frameworks:
            for row in block.rows:
                for cell in row.cells.values():
                    counts[cell.state] += 1
        return counts


def _control_sites() -> Any:
    """(control_id, site_id) for every control and the site of each non-archived risk it mitigates."""
    from riskreg.controls.models import risk_controls
    from riskreg.risks.models import Risk, RiskStatus

    return (
        sa.select(risk_controls.c.control_id, Risk.site_id)
        .join(Risk, Risk.id == risk_controls.c.risk_id)
        .where(Risk.status != RiskStatus.ARCHIVED)
        .distinct()
        .subquery()
    )


def engagement_requirement_pairs(requirement_ids: Any) -> Any:
    """(requirement_id, engagement_id) for every engagement that is evidence for a requirement: it is
    followed up by a control linked to it, or held with a stakeholder whose engagement plan of that
    year is linked to it (RJC COP 35, IRMA 3.6, OECD Annex E)."""
    from riskreg.controls.models import control_requirements
    from riskreg.sites.models import Engagement, engagement_controls
    from riskreg.stakeholders.models import EngagementPlan, plan_requirements

    through_controls = (
        sa.select(control_requirements.c.requirement_id, engagement_controls.c.engagement_id)
        .join(engagement_controls, engagement_controls.c.control_id == control_requirements.c.control_id)
        .where(control_requirements.c.requirement_id.in_(requirement_ids))
    )
    year = sa.cast(sa.func.extract("year", Engagement.held_on), sa.Integer)
    through_plans = (
        sa.select(plan_requirements.c.requirement_id, Engagement.id.label("engagement_id"))
        .join(EngagementPlan, EngagementPlan.id == plan_requirements.c.plan_id)
        .join(
            Engagement,
            sa.and_(Engagement.stakeholder_id == EngagementPlan.stakeholder_id, year == EngagementPlan.year),
        )
        .where(plan_requirements.c.requirement_id.in_(requirement_ids))
    )
    return sa.union(through_controls, through_plans).subquery("engagement_evidence")


def coverage_matrix(frameworks: list[str] | None = None) -> CoverageMatrix:
    """The matrix for the given framework keys (default: the company's setting); six queries."""
    from riskreg.controls.models import Control, ControlStatus, control_requirements
    from riskreg.i18n.reference import translate
    from riskreg.risks.models import Risk, RiskStatus, risk_requirements
    from riskreg.sites.models import Engagement, Site

    available = settings.available_frameworks()
    keys = frameworks if frameworks is not None else settings.selected_framework_keys(available)
    names = {fw.key: translate(fw.name) for fw in available}
    requirements = list(
        db.session.scalars(
            sa.select(Requirement)
            .where(Requirement.framework_key.in_(keys))
            .order_by(Requirement.framework_key, Requirement.code)
        )
    )
    sites = db.session.execute(
        sa.select(Site.id, Site.name).where(Site.active.is_(True)).order_by(Site.name)
    ).all()
    columns: list[tuple[int | None, str]] = [(s.id, s.name) for s in sites] + [(None, str(GROUP_LABEL))]
    column_ids = {column for column, _ in columns}
    cells: dict[tuple[int, int | None], Cell] = defaultdict(Cell)
    chosen = sa.select(Requirement.id).where(Requirement.framework_key.in_(keys))

    pairs = _control_sites()
    control_counts = (
        sa.select(
            control_requirements.c.requirement_id,
            pairs.c.site_id,
            Control.status,
            sa.func.count(sa.distinct(Control.id)),
        )
        .join(Control, Control.id == control_requirements.c.control_id)
        .outerjoin(pairs, pairs.c.control_id == Control.id)
        .where(control_requirements.c.requirement_id.in_(chosen), Control.status != ControlStatus.CANCELLED)
        .group_by(control_requirements.c.requirement_id, pairs.c.site_id, Control.status)
    )
    for requirement_id, site_id, status, count in db.session.execute(control_counts):
        cell = cells[(requirement_id, site_id)]
        if ControlStatus(status) is ControlStatus.PLANNED:
            cell.planned += count
        else:
            cell.active += count

    risk_counts = (
        sa.select(risk_requirements.c.requirement_id, Risk.site_id, sa.func.count(Risk.id))
        .join(Risk, Risk.id == risk_requirements.c.risk_id)
        .where(risk_requirements.c.requirement_id.in_(chosen), Risk.status != RiskStatus.ARCHIVED)
        .group_by(risk_requirements.c.requirement_id, Risk.site_id)
    )
    for requirement_id, site_id, count in db.session.execute(risk_counts):
        cells[(requirement_id, site_id)].risks = count

    pairs_of_engagements = engagement_requirement_pairs(chosen)
    engagement_counts = (
        sa.select(
            pairs_of_engagements.c.requirement_id,
            Engagement.site_id,
            sa.func.count(sa.distinct(Engagement.id)),
            sa.func.max(Engagement.held_on),
        )
        .join(Engagement, Engagement.id == pairs_of_engagements.c.engagement_id)
        .group_by(pairs_of_engagements.c.requirement_id, Engagement.site_id)
    )
    for requirement_id, site_id, count, last in db.session.execute(engagement_counts):
        cell = cells[(requirement_id, site_id)]
        cell.engagements, cell.last_engagement = count, last

    blocks: dict[str, FrameworkBlock] = {
        key: FrameworkBlock(key, names.get(key, key)) for key in keys if key in names
    }
    for requirement in requirements:
        block = blocks.setdefault(
            requirement.framework_key, FrameworkBlock(requirement.framework_key, requirement.framework_key)
        )
        row_cells = {column: cells.get((requirement.id, column), Cell()) for column in column_ids}
        block.rows.append(RequirementRow(requirement, row_cells))
    return CoverageMatrix(columns, [block for block in blocks.values() if block.rows])


SHEET_HEADERS = [
    _l("Framework"),
    _l("Code"),
    _l("Identifier"),
    _l("Edition"),
    _l("Requirement"),
    _l("Site"),
    _l("Coverage"),
    _l("Controls in progress, implemented or verified"),
    _l("Controls planned"),
    _l("Linked risks"),
    _l("Engagements"),
    _l("Last engagement"),
    _l("Evidence: controls"),
]
MAX_EVIDENCE_CHARS = 32_000  # a spreadsheet cell holds 32,767 characters


def evidence_controls(frameworks: list[str]) -> dict[tuple[int, int | None], list[str]]:
    """Each control counted in a cell, as "C-0012 (In progress)", by (requirement id, site id): one
    query, with the same rule as the counts of coverage_matrix()."""
    from riskreg.controls.models import Control, ControlStatus, control_requirements

    pairs = _control_sites()
    chosen = sa.select(Requirement.id).where(Requirement.framework_key.in_(frameworks))
    stmt = (
        sa.select(control_requirements.c.requirement_id, pairs.c.site_id, Control.ref, Control.status)
        .join(Control, Control.id == control_requirements.c.control_id)
        .outerjoin(pairs, pairs.c.control_id == Control.id)
        .where(control_requirements.c.requirement_id.in_(chosen), Control.status != ControlStatus.CANCELLED)
        .order_by(Control.id)
    )
    found: dict[tuple[int, int | None], list[str]] = defaultdict(list)
    for requirement_id, site_id, ref, status in db.session.execute(stmt):
        found[(requirement_id, site_id)].append(f"{ref} ({ControlStatus(status).label})")
    return found


def evidence_text(items: list[str], requirement_id: int) -> str:
    """The refs, cut short (with where to find the rest) before they overflow a spreadsheet cell."""
    text = ", ".join(items)
    if len(text) <= MAX_EVIDENCE_CHARS:
        return text
    cut = text.rfind(", ", 0, MAX_EVIDENCE_CHARS - 200)
    shown = text[:cut].count(", ") + 1
    return _(
        "%(shown)s, … and %(more)s more (all of them at %(url)s)",
        shown=text[:cut],
        more=len(items) - shown,
        url=f"/standards/requirements/{requirement_id}",
    )


def coverage_sheet_rows(frameworks: list[str] | None = None) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows for a `Coverage` workbook sheet: one row per requirement and site, with
    the counts of /standards and the evidence (the controls counted; engagements by count and date)."""
    matrix = coverage_matrix(frameworks)
    evidence = evidence_controls([block.key for block in matrix.frameworks]) if matrix.frameworks else {}
    rows: list[list[Any]] = []
    for block in matrix.frameworks:
        for row in block.rows:
            req = row.requirement
            for column, label in matrix.columns:
                cell = row.cells[column]
                rows.append(
                    [
                        block.key,
                        req.code,
                        req.identifier,
                        req.edition,
                        req.title,
                        label,
                        cell.label,
                        cell.active,
                        cell.planned,
                        cell.risks,
                        cell.engagements,
                        cell.last_engagement,
                        evidence_text(evidence.get((req.id, column), []), req.id),
                    ]
                )
    return [str(header) for header in SHEET_HEADERS], rows
