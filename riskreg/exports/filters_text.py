"""The register filters of an export in plain words, for the Legend sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskreg.auth.models import User
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.reviews.rules import DUE_WITHIN_DAYS

if TYPE_CHECKING:
    from riskreg.exports.context import ExportContext

SORT_WORDS = {
    "ref": "ref",
    "title": "title",
    "direction": "direction",
    "category": "category",
    "inherent": "inherent score",
    "residual": "residual score",
    "status": "status",
    "review": "next review date",
    "updated": "last change",
}


def describe_filters(ctx: ExportContext) -> str:
    filters, matrix = ctx.filters, ctx.matrix
    parts: list[str] = []
    if filters.corporate:
        parts.append("site: corporate (no single site)")
    elif filters.site is not None:
        name = next((s.name for s in ctx.sites if s.id == filters.site), f"#{filters.site} (unknown)")
        parts.append(f"site: {name}")
    if filters.direction is not None:
        parts.append(f"direction: {filters.direction.label}")
    if filters.category:
        parts.append(f"category: {filters.category}")
    if filters.band:
        parts.append(f"{filters.basis} band: {matrix.band_by_key(filters.band).label}")
    if filters.likelihood is not None:
        parts.append(f"{filters.basis} likelihood: {filters.likelihood}")
    if filters.impact is not None:
        parts.append(f"{filters.basis} impact: {filters.impact}")
    if filters.status is not None:
        parts.append(f"status: {filters.status.label}")
    if filters.owner is not None:
        owner = db.session.get(User, filters.owner)
        parts.append(f"owner: {owner.name if owner else f'#{filters.owner} (unknown)'}")
    if filters.department is not None:
        department = db.session.get(Department, filters.department)
        parts.append(
            f"with a control of: {department.name if department else f'#{filters.department} (unknown)'}"
        )
    if filters.q:
        parts.append(f'text contains "{filters.q}"')
    if filters.flagged is not None:
        parts.append("flagged for review" if filters.flagged else "not flagged for review")
    if filters.review == "overdue":
        parts.append("review overdue")
    elif filters.review == "due":
        parts.append(f"review due within {DUE_WITHIN_DAYS} days")
    if filters.appetite is not None:
        parts.append(
            {
                "above": "above appetite",
                "within": "within appetite",
                "escalated": "above appetite, no plan or acceptance",
            }[filters.appetite]
        )
    if filters.grievance is not None:
        parts.append(
            {
                "any": "linked to a grievance",
                "open": "linked to an open grievance",
                "severe": "linked to a severe grievance",
            }[filters.grievance]
        )
    joined = "; ".join(parts)
    text = joined[:1].upper() + joined[1:] if parts else "None: the whole register"
    if filters.status is None:
        text += " (archived risks left out)"
    key = filters.sort.lstrip("-")
    order = "highest first" if filters.sort.startswith("-") else "lowest first"
    return f"{text}. Sorted by {SORT_WORDS.get(key, key)}, {order}."
