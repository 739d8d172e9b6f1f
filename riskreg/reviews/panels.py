"""Template variables other features' pages take from reviews (one call each)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from riskreg.modeling import today
from riskreg.reviews import queries, rules, services
from riskreg.reviews.forms import NoChangeForm


def risk_panel(risk: Any, listed: Any = None) -> dict[str, Any]:
    """The risk page: when it is due, the review form, its reviews (not looked for when the risk's
    row said it has none: `listed`, riskreg.risks.queries.Listed)."""
    reviewed = listed is None or listed.reviews
    return {
        "risk_reviews": queries.risk_reviews(risk.id) if reviewed else queries.RiskReviews(),
        "review_state": rules.state_of(risk, today()),
        "review_due_days": rules.DUE_WITHIN_DAYS,
        "can_review": services.can_review(current_user, risk),
        "no_change_form": NoChangeForm(formdata=None),
    }
