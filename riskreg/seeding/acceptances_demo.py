"""Demo acceptances: the demo's accepted risks go through the acceptance cycle (requested by the risk
manager, approved by someone with the band's authority); one stays pending in the executive's My work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from riskreg.acceptances import services
from riskreg.auth.models import User
from riskreg.modeling import today
from riskreg.risks.models import Risk

JUSTIFICATION = (
    "The residual risk is low in likelihood after the controls in place; further treatment would cost "
    "more than the harm it avoids. Looked at again at the next management review or if monitoring "
    "moves an indicator to amber."
)


def load_demo_acceptances(risks: list[Risk], users: dict[str, User], report: Any) -> None:
    """Request acceptance of each risk; approve all but the first one an executive must approve."""
    requester = users.get("risk@example.com")
    executive, admin = users.get("exec@example.com"), users.get("admin@example.com")
    if requester is None or executive is None or admin is None:
        return
    left_pending = False
    for index, risk in enumerate(risks):
        executive_band = services.required_authority(risk) == "executive"
        approver = executive if executive_band else admin
        # One approval expires within the warning window, so the expiry run has something to say.
        expires = today() + timedelta(days=20 if index == 1 else 180 + 15 * index)
        acceptance = services.request_acceptance(
            risk,
            {"justification": JUSTIFICATION, "expires_on": expires, "approver_id": approver.id},
            requester,
        )
        report.add("acceptances")
        if executive_band and not left_pending:
            left_pending = True  # waits in the executive's "My work"
            continue
        services.decide(acceptance, True, "Agreed at the risk committee.", approver)
