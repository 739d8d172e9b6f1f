"""/api/v1/dashboard (the dashboard's figures, its own filters) and /api/v1/requirements (read)."""

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
