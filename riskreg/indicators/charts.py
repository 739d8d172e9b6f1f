"""Pure: an indicator over time as a Plotly figure (data, not code), with its threshold bands."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Any

from riskreg.dashboard.charts import CONFIG, _layout

BAND_FILL = {"green": "rgba(46,125,50,0.10)", "amber": "rgba(249,168,37,0.18)", "red": "rgba(198,40,40,0.14)"}
LINE = "#1d2433"


def bands(amber: float, red: float, worse: str, low: float, high: float) -> list[tuple[str, float, float]]:
    """(status, from, to) along the y axis, covering [low, high]."""
    if worse == "lower":
        return [("red", low, red), ("amber", red, amber), ("green", amber, high)]
    return [("green", low, amber), ("amber", amber, red), ("red", red, high)]


def figure(
    label: str,
    unit: str,
    days: Sequence[date],
    values: Sequence[float | None],
    amber: float,
    red: float,
    worse: str,
) -> dict[str, Any]:
    known = [v for v in values if v is not None]
    low = min([0.0, *known, amber, red])
    high = max([*known, amber, red]) * 1.15 or 1.0
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": start,
            "y1": end,
            "fillcolor": BAND_FILL[state],
            "line": {"width": 0},
            "layer": "below",
        }
        for state, start, end in bands(amber, red, worse, low, high)
    ]
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": html.escape(label, quote=False),
        "x": [day.isoformat() for day in days],
        "y": list(values),
        "connectgaps": False,
        "line": {"color": LINE, "width": 2},
        "marker": {"size": 5, "color": LINE},
        "hovertemplate": f"%{{x}}: %{{y}} {html.escape(unit, quote=False)}<extra></extra>",
    }
    layout = _layout(
        height=220,
        margin={"l": 45, "r": 10, "t": 10, "b": 35},
        shapes=shapes,
        showlegend=False,
        xaxis={"type": "date", "fixedrange": True},
        yaxis={"range": [low, high], "fixedrange": True, "title": {"text": html.escape(unit, quote=False)}},
    )
    return {"data": [trace], "layout": layout, "config": CONFIG}
