"""/api/v1/dashboard (the dashboard's figures, its own filters), /api/v1/requirements and
/api/v1/coverage (read: the /standards matrix, the same ?framework= as the page)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request

from riskreg.api import schemas
from riskreg.api.io import respond
from riskreg.dashboard import queries
from riskreg.dashboard.filters import parse_dashboard_filters
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.standards.models import Requirement


def dashboard():
    dash = parse_dashboard_filters(request.args)  # the dashboard's own parser: the same 400s
    on = today()
    grids = [queries.grid(dash.risk, basis) for basis in ("inherent", "residual", "target")]
    departments = [
        schemas.DepartmentFigures.model_validate(row)
        for row in queries.control_rows(dash.risk, on)
        if dash.risk.department in (None, row.id) and (row.active or row.total)
    ]
    return respond(
        schemas.Dashboard(
            grids=[
                schemas.GridFigures(
                    basis=g.basis, total=g.total, unscored=g.unscored, band_counts=g.band_counts
                )
                for g in grids
            ],
            review_overdue=queries.review_overdue(dash.risk, on),
            departments=departments,
        )
    )


def list_requirements():
    rows = db.session.scalars(sa.select(Requirement).order_by(Requirement.framework_key, Requirement.code))
    return respond(schemas.RequirementList(items=[schemas.RequirementOut.model_validate(r) for r in rows]))


def coverage():
    from werkzeug.exceptions import BadRequest

    from riskreg.standards import coverage as standards_coverage
    from riskreg.standards import settings

    only = (request.args.get("framework") or "").strip()
    chosen = None
    if only:  # the page's own check of a framework key: the same 400
        try:
            chosen = settings.check_framework_keys([only], settings.available_frameworks())
        except settings.SettingsError as error:
            raise BadRequest(str(error)) from error
    matrix = standards_coverage.coverage_matrix(chosen)
    return respond(
        schemas.Coverage(
            columns=[
                schemas.CoverageColumn(site_id=site_id, label=label) for site_id, label in matrix.columns
            ],
            frameworks=[
                schemas.CoverageFramework(
                    key=block.key,
                    name=block.name,
                    rows=[
                        schemas.CoverageRow(
                            requirement_id=row.requirement.id,
                            code=row.requirement.code,
                            title=row.requirement.title,
                            cells=[
                                schemas.CoverageCell(
                                    site_id=site_id,
                                    state=cell.state,
                                    active_controls=cell.active,
                                    planned_controls=cell.planned,
                                    risks=cell.risks,
                                    engagements=cell.engagements,
                                    last_engagement=cell.last_engagement,
                                )
                                for site_id, cell in row.cells.items()
                            ],
                        )
                        for row in block.rows
                    ],
                )
                for block in matrix.frameworks
            ],
            totals=matrix.totals(),
        )
    )


def _query():
    from riskreg.api.spec import Param
    from riskreg.dashboard.filters import RISK_PARAMS, STATUS_ALL, VIEWS
    from riskreg.risks.models import RiskStatus

    described = {p.name: p for p in risks_query() if p.name in RISK_PARAMS}
    statuses = [s.value for s in RiskStatus if s is not RiskStatus.ARCHIVED]
    described["status"] = Param("status", {"enum": [*statuses, STATUS_ALL]}, "Default open.")
    return (*described.values(), Param("view", {"enum": list(VIEWS)}))


def risks_query():
    from riskreg.api.risks import _query as register_query

    return register_query()


QUERY = _query()
