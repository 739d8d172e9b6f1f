"""The register filters of an export in plain words, for the Legend sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskreg.auth.models import User
from riskreg.departments.models import Department
from riskreg.exports.labels import N_, enum_label, words
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.reviews.rules import DUE_WITHIN_DAYS

if TYPE_CHECKING:
    from riskreg.exports.context import ExportContext

SORT_WORDS = {
    "ref": N_("ref"),
    "title": N_("title"),
    "direction": N_("direction"),
    "category": N_("category"),
    "inherent": N_("inherent score"),
    "residual": N_("residual score"),
    "status": N_("status"),
    "review": N_("next review date"),
    "updated": N_("last change"),
}
# Per basis: the filter's words (one msgid each, so each language words it its own way).
BASIS_WORDS = {
    "inherent": (
        N_("inherent band: %(band)s"),
        N_("inherent likelihood: %(level)s"),
        N_("inherent impact: %(level)s"),
    ),
    "residual": (
        N_("residual band: %(band)s"),
        N_("residual likelihood: %(level)s"),
        N_("residual impact: %(level)s"),
    ),
    "target": (
        N_("target band: %(band)s"),
        N_("target likelihood: %(level)s"),
        N_("target impact: %(level)s"),
    ),
}
APPETITE_WORDS = {
    "above": N_("above appetite"),
    "within": N_("within appetite"),
    "escalated": N_("above appetite, no plan or acceptance"),
}
GRIEVANCE_WORDS = {
    "any": N_("linked to a grievance"),
    "open": N_("linked to an open grievance"),
    "severe": N_("linked to a severe grievance"),
}


def _basis(basis: str, which: int, **values: object) -> str:
    return _(BASIS_WORDS.get(basis, BASIS_WORDS["residual"])[which], **values)


def describe_filters(ctx: ExportContext) -> str:
    filters, matrix = ctx.filters, ctx.matrix
    parts: list[str] = []
    if filters.corporate:
        parts.append(_("site: corporate (no single site)"))
    elif filters.site is not None:
        name = next(
            (s.name for s in ctx.sites if s.id == filters.site), _("#%(id)s (unknown)", id=filters.site)
        )
        parts.append(_("site: %(name)s", name=name))
    if filters.direction is not None:
        parts.append(_("direction: %(direction)s", direction=enum_label(filters.direction)))
    if filters.category:
        parts.append(_("category: %(category)s", category=translate(filters.category)))
    if filters.band:
        parts.append(_basis(filters.basis, 0, band=translate(matrix.band_by_key(filters.band).label)))
    if filters.likelihood is not None:
        parts.append(_basis(filters.basis, 1, level=filters.likelihood))
    if filters.impact is not None:
        parts.append(_basis(filters.basis, 2, level=filters.impact))
    if filters.status is not None:
        parts.append(_("status: %(status)s", status=enum_label(filters.status)))
    if filters.owner is not None:
        owner = db.session.get(User, filters.owner)
        name = owner.name if owner else _("#%(id)s (unknown)", id=filters.owner)
        parts.append(_("owner: %(name)s", name=name))
    if filters.department is not None:
        department = db.session.get(Department, filters.department)
        name = department.name if department else _("#%(id)s (unknown)", id=filters.department)
        parts.append(_("with a control of: %(name)s", name=name))
    if filters.q:
        parts.append(_('text contains "%(text)s"', text=filters.q))
    if filters.flagged is not None:
        parts.append(_("flagged for review") if filters.flagged else _("not flagged for review"))
    if filters.review == "overdue":
        parts.append(_("review overdue"))
    elif filters.review == "due":
        parts.append(_("review due within %(days)s days", days=DUE_WITHIN_DAYS))
    if filters.appetite is not None:
        parts.append(words(APPETITE_WORDS[filters.appetite]))
    if filters.grievance is not None:
        parts.append(words(GRIEVANCE_WORDS[filters.grievance]))
    joined = "; ".join(parts)
    text = joined[:1].upper() + joined[1:] if parts else _("None: the whole register")
    key = filters.sort.lstrip("-")
    order = words(SORT_WORDS[key]) if key in SORT_WORDS else key
    if filters.status is None:
        text = _("%(filters)s (archived risks left out)", filters=text)
    if filters.sort.startswith("-"):
        return _("%(filters)s. Sorted by %(order)s, highest first.", filters=text, order=order)
    return _("%(filters)s. Sorted by %(order)s, lowest first.", filters=text, order=order)
