"""/healthz for load balancers and orchestrators.

`/healthz` is liveness: the process serves requests. It touches nothing else, so a database outage
does not get every host restarted. `/healthz?ready` is readiness (health/checks.py): 200 when every
check passes, else 503 with each check's state and the names of those that failed.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from riskreg.health import checks


def healthz():
    if "ready" not in request.args:
        return {"status": "ok"}, 200
    outcomes = checks.readiness(current_app)
    failed = [name for name, outcome in outcomes.items() if not outcome.ok]
    body: dict[str, Any] = {"status": "unavailable" if failed else "ok"}
    body.update({name: outcome.state for name, outcome in outcomes.items()})
    if failed:
        body["failed"] = failed
        return body, 503
    return body, 200
