"""Every operation of the API, once: blueprint.py adds a URL rule for each, views.openapi documents
each (riskreg/api/spec.py), from the same models."""

from __future__ import annotations

from riskreg.api import risks, schemas
from riskreg.api.spec import Op
from riskreg.auth.permissions import Permission

EDIT = Permission.EDIT_RISKS
RISK = "/risks/<int:risk_id>"


OPS: list[Op] = [
    Op(
        "GET",
        "/risks",
        risks.list_risks,
        "The register, filtered and paged",
        "Risks",
        response=schemas.RiskPage,
        query=risks._query(),
    ),
    Op(
        "POST",
        "/risks",
        risks.create_risk,
        "Create a risk",
        "Risks",
        permission=EDIT,
        body=schemas.RiskCreate,
        response=schemas.Risk,
        status=201,
        errors=(422,),
    ),
    Op("GET", RISK, risks.get_risk, "One risk", "Risks", response=schemas.Risk),
    Op(
        "PATCH",
        RISK,
        risks.update_risk,
        "Change a risk",
        "Risks",
        permission=EDIT,
        body=schemas.RiskPatch,
        response=schemas.Risk,
        if_match=True,
        errors=(422,),
    ),
    Op(
        "POST",
        f"{RISK}/archive",
        risks.archive_risk,
        "Archive a risk",
        "Risks",
        permission=EDIT,
        body=schemas.ArchiveRequest,
        response=schemas.Risk,
        if_match=True,
        errors=(422,),
    ),
    Op(
        "POST",
        f"{RISK}/restore",
        risks.restore_risk,
        "Restore an archived risk",
        "Risks",
        permission=EDIT,
        response=schemas.Risk,
        if_match=True,
        errors=(422,),
    ),
    Op(
        "GET",
        f"{RISK}/history",
        risks.risk_history,
        "The audit trail of a risk",
        "Risks",
        response=schemas.History,
    ),
]
