"""Pure: the dashboard's other figures (overdue controls per department, the monthly trend)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import has_app_context
from flask_babel import format_date

from riskreg.dashboard.heatmap import FONT, INK, ref
from riskreg.dashboard.queries import DepartmentControls
from riskreg.dashboard.trend import TrendSeries
from riskreg.i18n import gettext as _
from riskreg.scoring import Matrix

OVERDUE_COLOUR = "#b3261e"
CONFIG = {"displayModeBar": False, "responsive": True}


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "dragmode": False,
        "font": {"family": FONT, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def month_label(month: date) -> str:
    """ "Dec 2026" in English (as ever); the month's own abbreviation in the other languages."""
    if has_app_context():
        from riskreg.i18n import current_language

        if current_language() != "en":
            return format_date(month, "LLL y")
    return month.strftime("%b %Y")


def overdue_figure(rows: Sequence[DepartmentControls]) -> dict[str, Any]:
    """Horizontal bars: department names are long, and the first department reads at the top."""
    ordered = list(reversed(rows))
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": [html.escape(row.name, quote=False) for row in ordered],  # Plotly reads tags in labels
        "x": [row.overdue for row in ordered],
        "marker": {"color": OVERDUE_COLOUR},
        "text": [str(row.overdue) for row in ordered],
        "textposition": "auto",
        # Plotly's own placeholders go in as values: the sentence is one message
        "hovertemplate": _("%(department)s: %(count)s overdue", department="%{y}", count="%{x}")
        + "<extra></extra>",
    }
    most = max((row.overdue for row in rows), default=0)
    layout = _layout(
        height=60 + 30 * max(len(rows), 1),
        margin={"l": 160, "r": 20, "t": 10, "b": 40},
        xaxis={
            "title": {"text": _("Controls overdue")},
            "rangemode": "tozero",
            "range": [0, max(most, 1) * 1.1],
            "tickformat": ",d",
            "dtick": max(1, -(-most // 5)),  # whole numbers of controls only
            "fixedrange": True,
        },
        yaxis={"automargin": True, "fixedrange": True},
        showlegend=False,
    )
    return {"data": [trace], "layout": layout, "config": CONFIG}


def trend_figure(trend: TrendSeries, matrix: Matrix) -> dict[str, Any]:
    """One line per band, in the band's colour, month by month."""
    labels = [month_label(m) for m in trend.months]
    names = {band.key: ref(band.label) for band in matrix.bands}
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": names[band.key],
            "x": labels,
            "y": trend.counts[band.key],
            "line": {"color": band.colour, "width": 3},
            "marker": {"color": band.colour, "size": 7},
            "hovertemplate": f"{names[band.key]}: %{{y}}<extra></extra>",
        }
        for band in reversed(matrix.bands)
    ]
    layout = _layout(
        height=300,
        margin={"l": 50, "r": 10, "t": 10, "b": 50},
        hovermode="x unified",
        xaxis={"type": "category", "fixedrange": True},
        yaxis={
            "title": {"text": _("Open risks")},
            "rangemode": "tozero",
            "tickformat": ",d",
            "fixedrange": True,
        },
        legend={"orientation": "h", "y": -0.25},
    )
    return {"data": traces, "layout": layout, "config": CONFIG}
