"""Reports: the printable ASM disclosure (GRI MM8 / GRI 14.13)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import format_decimal

from riskreg import scoring
from riskreg.auth.permissions import Permission, permission_required
from riskreg.grievances.queries import disclosure_grievances
from riskreg.indicators import panels as indicator_panels
from riskreg.modeling import today
from riskreg.reports import disclosure
from riskreg.risks.models import Direction
from riskreg.sites.models import AsmPresence


@permission_required(Permission.VIEW)
def asm_disclosure():
    year = disclosure.parse_year(request.args.get("year"))
    report = disclosure.disclosure_report(year)
    risk_columns, control_columns = disclosure.columns()
    return render_template(
        "reports/asm_disclosure.html",
        report=report,
        AsmPresence=AsmPresence,
        directions=list(Direction),
        bands=scoring.matrix().bands,
        control_columns=control_columns,
        years=list(range(today().year, disclosure.MIN_YEAR - 1, -1))[:10],
        generated_on=today(),
        **indicator_panels.disclosure_panel(year),
        asm_grievances=disclosure_grievances(year),
        lifecycle_words=disclosure.lifecycle_words,
        percent=percent,
    )


def percent(value: float) -> str:
    """50.0 as "50.0" in English, "50,0" in French: one decimal, the reader's decimal sign."""
    return format_decimal(value, "0.0")
