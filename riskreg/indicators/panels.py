"""Template variables that other features' pages take from indicators (one call each)."""

from __future__ import annotations

from typing import Any

from riskreg.indicators import queries, reviews
from riskreg.indicators.words import reason_text


def risk_panel(risk: Any, listed: Any = None) -> dict[str, Any]:
    """The risk page: its open review flags (the review form and the reviews: riskreg.reviews);
    not looked for when the risk's row said it has none (`listed`: riskreg.risks.queries.Listed)."""
    flagged = listed is None or listed.open_flags
    return {"indicator_flags": queries.risk_flags(risk.id) if flagged else queries.RiskFlags()}


def dashboard_panels(site_id: int | None = None) -> dict[str, Any]:
    """The dashboard: triggers waiting for review, and signals without a risk."""
    return {"waiting_triggers": queries.waiting_triggers(site_id), "indicator_gaps": queries.gaps(site_id)}


def register_flags(risk_ids: list[int]) -> dict[int, list[str]]:
    """The register page: the reasons of each listed risk's open flags (in the reader's language)."""
    reasons = reviews.open_flag_reasons(risk_ids)
    return {risk_id: [reason_text(text) for text in texts] for risk_id, texts in reasons.items()}


def disclosure_panel(year: int) -> dict[str, Any]:
    """The ASM disclosure report: indicator values and the triggers of the year behind them."""
    return {"indicator_lines": queries.disclosure_lines(year), "indicator_year": year}
