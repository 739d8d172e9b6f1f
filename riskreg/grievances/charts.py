"""Pure: the grievances received per month and category as a stacked bar chart (JSON for
static/js/dashboard.js, drawn under the strict CSP; the table beside it carries the same numbers)."""

from __future__ import annotations

import html
from typing import Any

from riskreg.dashboard.charts import CONFIG, _layout
from riskreg.i18n import gettext as _

# One colour per category, told apart in print and by most colour-blind readers (Okabe-Ito first).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#7F7F7F", "#8C564B")  # fmt: skip


def per_month_figure(kpis: Any) -> dict[str, Any]:
    """One bar per month, stacked by category (the most frequent category at the bottom)."""
    months = [month for month, _ in kpis.per_month]
    traces = [
        {
            "type": "bar",
            "name": html.escape(label, quote=False),  # Plotly reads tags in labels
            "x": months,
            "y": [kpis.per_month_category[month].get(label, 0) for month in months],
            "marker": {"color": COLOURS[index % len(COLOURS)]},
            "hovertemplate": f"{html.escape(label, quote=False)}: %{{y}}<extra>%{{x}}</extra>",
        }
        for index, (label, _) in enumerate(kpis.per_category)
    ]
    most = max((total for _, total in kpis.per_month), default=0)
    layout = _layout(
        barmode="stack",
        height=300,
        margin={"l": 50, "r": 10, "t": 10, "b": 50},
        xaxis={"type": "category", "fixedrange": True},
        yaxis={
            "title": {"text": _("Grievances received")},
            "rangemode": "tozero",
            "tickformat": ",d",
            "dtick": max(1, -(-most // 5)),  # whole grievances only
            "fixedrange": True,
        },
        legend={"orientation": "h", "y": -0.25},
    )
    return {"data": traces, "layout": layout, "config": CONFIG}
