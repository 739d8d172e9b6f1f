"""/dashboard: heatmaps with drill-down, indicators and trend; and Plotly's JavaScript, served locally."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Response, render_template, request, send_file
from werkzeug.exceptions import BadRequest

from riskreg import reference, scoring
from riskreg.appetite import queries as appetite_queries
from riskreg.assets.sources import plotly_bundle
from riskreg.auth.permissions import Permission, permission_required
from riskreg.bowtie import drawn
from riskreg.bowtie import queries as bowtie_queries
from riskreg.critical import queries as critical_queries
from riskreg.dashboard import charts, heatmap, queries, trend
from riskreg.dashboard.filters import (
    DIRECTION_TOGGLE,
    VIEW_LABELS,
    DashboardFilters,
    parse_dashboard_filters,
)
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.indicators import panels as indicator_panels
from riskreg.modeling import today as today_utc
from riskreg.risks.models import Direction, RiskStatus
from riskreg.sites.models import AsmPresence

logger = logging.getLogger(__name__)


ONE_YEAR = 365 * 24 * 3600


@permission_required(Permission.VIEW)
def index():
    dash = parse_dashboard_filters(request.args)
    today = today_utc()
    record_month(today)  # first, so its transaction has read next to nothing (see trend.py)
    sites = queries.sites()
    all_departments = queries.control_rows(dash.risk, today)
    check_known(dash, sites, all_departments)

    matrix = scoring.matrix()
    bases = dict.fromkeys(("inherent", "residual", *dash.bases))  # the indicators need both
    shared = queries.shared_residual_rows(dash.risk)  # the residual grid's and the direction table's
    grids = {
        basis: queries.grid(dash.risk, basis, shared if basis == "residual" else None) for basis in bases
    }
    matrix_words = heatmap.words(matrix)
    figures = {
        basis: heatmap.figure(grids[basis], matrix, cell_link(dash, basis), matrix_words)
        for basis in dash.bases
    }
    tables = {
        basis: heatmap.table(grids[basis], matrix_words, cell_link(dash, basis)) for basis in dash.bases
    }
    departments = [
        row
        for row in all_departments
        if dash.risk.department in (None, row.id)
        and (row.active or row.total or row.id == dash.risk.department)
    ]
    series = trend.series(dash.risk, today)
    top = queries.top_residual(dash.risk, grids["residual"])
    bowties = board_bowties(top)
    return render_template(
        "dashboard/index.html",
        dash=dash,
        today=today,
        view_labels=VIEW_LABELS,
        direction_toggle=DIRECTION_TOGGLE,
        direction_words=dict(DIRECTION_TOGGLE),
        directions_lowered={d: d.label.lower() for d in Direction},  # as |lower, once per page
        direction_bands=queries.band_counts_by_direction(dash.risk, "residual", shared),
        grids=grids,
        figures=figures,
        tables=tables,
        matrix_words=matrix_words,
        top=top,
        critical_counts=critical_queries.dashboard_counts(today),
        board_bowties=bowties,
        bowtie_key=drawn.key,  # what a kept board bowtie is keyed by
        bowtie_svg=drawn.svg,  # drawn only when its kept part is rendered
        review_overdue=queries.review_overdue(dash.risk, today),
        review_overdue_limit=queries.REVIEW_OVERDUE_LIMIT,
        appetite_panel=appetite_queries.panel(),
        departments=departments,
        completion=queries.completion(departments),
        overdue_total=sum(row.overdue for row in departments),
        ownerless_total=sum(row.ownerless for row in departments),
        undated_total=sum(row.undated for row in departments),
        overdue_figure=charts.overdue_figure(departments),
        asm_sites=asm_sites(dash, sites),
        series=series,
        trend_figure=charts.trend_figure(series, matrix),
        month_label=charts.month_label,
        site_options=[s for s in sites if s.active or s.id == dash.risk.site],
        department_options=[d for d in all_departments if d.active or d.id == dash.risk.department],
        categories=reference.categories(),
        directions=list(Direction),
        statuses=list(RiskStatus),
        **indicator_panels.dashboard_panels(dash.risk.site),
        **grievance_panel(dash.risk.site),
    )


BOARD_BOWTIES = 3


def board_bowties(top: list[queries.TopRisk]) -> list[bowtie_queries.Bowtie]:
    """The bowties of the top residual risks, for the printed board pack (the rows name their risks)."""
    return bowtie_queries.bowties(top[:BOARD_BOWTIES])


def cell_link(dash: DashboardFilters, basis: str):
    return lambda cell: dash.cell_url(basis, cell.likelihood, cell.impact)


def check_known(dash: DashboardFilters, sites: list[queries.SiteRow], departments: list) -> None:
    """A site or department id that does not exist is a 400, not an empty dashboard."""
    if dash.risk.site is not None and dash.risk.site not in {s.id for s in sites}:
        raise BadRequest(_("Filter 'site': there is no site with id %(id)s.", id=dash.risk.site))
    if dash.risk.department is not None and dash.risk.department not in {d.id for d in departments}:
        raise BadRequest(
            _("Filter 'department': there is no department with id %(id)s.", id=dash.risk.department)
        )


def record_month(today) -> None:
    """On the first view of a month, keep the month's snapshot for the trend (once, whoever comes first)."""
    if trend.has_snapshot(trend.month_start(today)):
        return
    try:
        trend.take_snapshot(today)
        db.session.commit()
    except sa.exc.OperationalError:
        # SQLite: another worker wrote the month while this one read; its rows stand.
        db.session.rollback()
        logger.warning("band snapshot of %s left to the worker that is writing it", trend.month_start(today))


def asm_sites(dash: DashboardFilters, sites: list[queries.SiteRow]) -> list[queries.SiteRow]:
    """Active sites with ASM on or next to them (within the site filter, if any)."""
    if dash.risk.corporate:
        return []
    chosen = [
        s
        for s in sites
        if s.active
        and s.asm_presence in (AsmPresence.ON_SITE, AsmPresence.ADJACENT)
        and (dash.risk.site is None or s.id == dash.risk.site)
    ]
    return sorted(chosen, key=lambda s: (s.asm_presence is not AsmPresence.ON_SITE, s.name))


@permission_required(Permission.VIEW)
def plotly_js() -> Response:
    """Plotly's bundle (sources.plotly_bundle): no CDN, no copy in the repository; cached for a year.

    Pages link it with ?v=<content hash> (riskreg.assets), so a new bundle is a new URL.
    """
    response = send_file(
        plotly_bundle(), mimetype="text/javascript", max_age=ONE_YEAR, conditional=True, etag=True
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def grievance_panel(site_id: int | None) -> dict[str, Any]:
    """The grievance mechanism's KPIs for this year (at the filtered site)."""
    from riskreg.grievances.charts import per_month_figure
    from riskreg.grievances.queries import GrievanceFilters, kpis
    from riskreg.modeling import today

    filters = GrievanceFilters(site=site_id, year=today().year)
    figures = kpis(filters)
    return {
        "grievance_kpis": figures,
        "grievance_figure": per_month_figure(figures),
        "grievance_args": filters.as_args(),
    }
