"""The words people read for stored values: one home for the History and anything else that shows
an audited value. Every enum column of a risk and a control is found from the models themselves,
so a new enum field gets its labels without a change here."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import has_app_context
from markupsafe import Markup, escape

from riskreg.i18n import current_language, pgettext
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate

EMPTY = "—"


@cache
def enum_fields(entity: str) -> dict[str, type]:
    """{field: enum class} for an audited entity ("risk", "grievance", "asm_observation"): the
    enum columns of the model whose table is the entity's plural."""
    from riskreg.controls.models import risk_controls
    from riskreg.extensions import db

    model = next(
        (m.class_ for m in db.Model.registry.mappers if m.local_table.name in (f"{entity}s", entity)),
        None,
    )
    if model is None:
        return {}
    columns = list(sa.inspect(model).columns)
    if entity in ("risk", "control"):  # a risk-control link's role and effectiveness, on both sides
        columns = [*risk_controls.columns, *columns]
    found: dict[str, type] = {}
    for column in columns:
        enum_class = getattr(column.type, "enum_class", None)
        if isinstance(column.type, sa.Enum) and enum_class is not None:
            found[column.key] = enum_class
    return found


def label_of(value: Any, field: str | None = None, entity: str | None = None) -> str:
    """A stored value as people read it: "to_company" -> "To the company", "reduce" -> "Reduce", in
    the reader's language (enum labels and Yes/No are translated where they are read)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, list):
        return ", ".join(label_of(item, field, entity) for item in value) or EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field == "site" and value == "Corporate":  # a risk of no single site, stored in English
        return _("Corporate")
    if field == "category" and isinstance(value, str) and has_app_context():  # reference data: translated
        from riskreg.i18n.reference import translate

        return translate(value) or value
    enum_class = enum_fields(entity).get(field or "") if entity else None
    if enum_class is not None and isinstance(value, str):
        try:
            member = enum_class(value)
        except ValueError:
            return value  # a value from an older version of riskreg: shown as stored
        return str(getattr(member, "label", value))
    if isinstance(value, str) and value.islower() and "_" in value and " " not in value:
        return value.replace("_", " ")
    return str(value)


def _history_words() -> list[str]:
    """The History's words for audit actions and field names, listed only so pybabel extracts them:
    templates/risks/_history.html translates `action.replace("_", " ").capitalize()` (msgctxt
    "audit action") and `field.replace("_", " ")` (msgctxt "audit field"). A code not listed here is
    shown as it is."""
    return [
        pgettext("audit action", "Acceptance approved"),
        pgettext("audit action", "Acceptance expired"),
        pgettext("audit action", "Acceptance rejected"),
        pgettext("audit action", "Acceptance requested"),
        pgettext("audit action", "Acceptance voided"),
        pgettext("audit action", "Add cause"),
        pgettext("audit action", "Add consequence"),
        pgettext("audit action", "Add evidence"),
        pgettext("audit action", "Archive"),
        pgettext("audit action", "Cancel"),
        pgettext("audit action", "Change password"),
        pgettext("audit action", "Close"),
        pgettext("audit action", "Comment"),
        pgettext("audit action", "Control role"),
        pgettext("audit action", "Create"),
        pgettext("audit action", "Created"),
        pgettext("audit action", "Critical"),
        pgettext("audit action", "Default"),
        pgettext("audit action", "Delete"),
        pgettext("audit action", "Deleted"),
        pgettext("audit action", "Disable"),
        pgettext("audit action", "Edit cause"),
        pgettext("audit action", "Edit comment"),
        pgettext("audit action", "Edit consequence"),
        pgettext("audit action", "Language"),
        pgettext("audit action", "Link"),
        pgettext("audit action", "Link control"),
        pgettext("audit action", "Not critical"),
        pgettext("audit action", "Note"),
        pgettext("audit action", "Notifications"),
        pgettext("audit action", "Presence"),
        pgettext("audit action", "Purge"),
        pgettext("audit action", "Reassess"),
        pgettext("audit action", "Remove cause"),
        pgettext("audit action", "Remove consequence"),
        pgettext("audit action", "Reopen"),
        pgettext("audit action", "Restore"),
        pgettext("audit action", "Retire"),
        pgettext("audit action", "Review"),
        pgettext("audit action", "Risk role"),
        pgettext("audit action", "Schedule"),
        pgettext("audit action", "Standard"),
        pgettext("audit action", "Start"),
        pgettext("audit action", "Step"),
        pgettext("audit action", "Trigger"),
        pgettext("audit action", "Unlink"),
        pgettext("audit action", "Unlink control"),
        pgettext("audit action", "Update"),
        pgettext("audit action", "Updated"),
        pgettext("audit action", "Verify"),
        pgettext("audit field", "acceptance"),
        pgettext("audit field", "acceptance state"),
        pgettext("audit field", "active"),
        pgettext("audit field", "activity type"),
        pgettext("audit field", "anonymous"),
        pgettext("audit field", "asm approach"),
        pgettext("audit field", "asm presence"),
        pgettext("audit field", "asm presence reason"),
        pgettext("audit field", "asm presence source"),
        pgettext("audit field", "categories"),
        pgettext("audit field", "category"),
        pgettext("audit field", "cause"),
        pgettext("audit field", "causes"),
        pgettext("audit field", "channel"),
        pgettext("audit field", "children seen"),
        pgettext("audit field", "comment"),
        pgettext("audit field", "commodity"),
        pgettext("audit field", "complainant contact"),
        pgettext("audit field", "complainant name"),
        pgettext("audit field", "complainant notes"),
        pgettext("audit field", "consent noted"),
        pgettext("audit field", "consequence"),
        pgettext("audit field", "consequences"),
        pgettext("audit field", "contact"),
        pgettext("audit field", "contact person"),
        pgettext("audit field", "controls"),
        pgettext("audit field", "country"),
        pgettext("audit field", "critical"),
        pgettext("audit field", "cyanide use"),
        pgettext("audit field", "default amber"),
        pgettext("audit field", "default for"),
        pgettext("audit field", "default red"),
        pgettext("audit field", "department"),
        pgettext("audit field", "department id"),
        pgettext("audit field", "description"),
        pgettext("audit field", "direction"),
        pgettext("audit field", "distance km"),
        pgettext("audit field", "due date"),
        pgettext("audit field", "effectiveness"),
        pgettext("audit field", "email"),
        pgettext("audit field", "evidence"),
        pgettext("audit field", "flagged risks"),
        pgettext("audit field", "formalisation status"),
        pgettext("audit field", "formalisation support"),
        pgettext("audit field", "frequency"),
        pgettext("audit field", "grievances"),
        pgettext("audit field", "held on"),
        pgettext("audit field", "human rights impact"),
        pgettext("audit field", "impact area"),
        pgettext("audit field", "influence"),
        pgettext("audit field", "inherent impact"),
        pgettext("audit field", "inherent likelihood"),
        pgettext("audit field", "interest"),
        pgettext("audit field", "kind"),
        pgettext("audit field", "label"),
        pgettext("audit field", "languages"),
        pgettext("audit field", "latitude"),
        pgettext("audit field", "lifecycle"),
        pgettext("audit field", "locale"),
        pgettext("audit field", "location"),
        pgettext("audit field", "longitude"),
        pgettext("audit field", "mercury use"),
        pgettext("audit field", "minerals"),
        pgettext("audit field", "miners estimate"),
        pgettext("audit field", "mode"),
        pgettext("audit field", "name"),
        pgettext("audit field", "next review date"),
        pgettext("audit field", "note"),
        pgettext("audit field", "notes"),
        pgettext("audit field", "notices turned off"),
        pgettext("audit field", "observed on"),
        pgettext("audit field", "oecd legitimacy"),
        pgettext("audit field", "owner"),
        pgettext("audit field", "owner department id"),
        pgettext("audit field", "owner id"),
        pgettext("audit field", "page"),
        pgettext("audit field", "password"),
        pgettext("audit field", "planned count"),
        pgettext("audit field", "preferred channel"),
        pgettext("audit field", "purpose"),
        pgettext("audit field", "query"),
        pgettext("audit field", "range"),
        pgettext("audit field", "received on"),
        pgettext("audit field", "recovery codes"),
        pgettext("audit field", "recovery codes left"),
        pgettext("audit field", "ref"),
        pgettext("audit field", "response on"),
        pgettext("audit field", "region"),
        pgettext("audit field", "requirement ids"),
        pgettext("audit field", "requirements"),
        pgettext("audit field", "residual assessed at"),
        pgettext("audit field", "residual impact"),
        pgettext("audit field", "residual likelihood"),
        pgettext("audit field", "risk ids"),
        pgettext("audit field", "risks"),
        pgettext("audit field", "role"),
        pgettext("audit field", "security incident"),
        pgettext("audit field", "setting"),
        pgettext("audit field", "severity"),
        pgettext("audit field", "shared"),
        pgettext("audit field", "site"),
        pgettext("audit field", "site id"),
        pgettext("audit field", "source"),
        pgettext("audit field", "stakeholder group"),
        pgettext("audit field", "stakeholder id"),
        pgettext("audit field", "status"),
        pgettext("audit field", "submission id"),
        pgettext("audit field", "target date"),
        pgettext("audit field", "target impact"),
        pgettext("audit field", "target likelihood"),
        pgettext("audit field", "title"),
        pgettext("audit field", "topics"),
        pgettext("audit field", "treatment"),
        pgettext("audit field", "trend"),
        pgettext("audit field", "two factor"),
        pgettext("audit field", "type"),
        pgettext("audit field", "unit"),
        pgettext("audit field", "url"),
        pgettext("audit field", "value"),
        pgettext("audit field", "verification"),
        pgettext("audit field", "webhooks allow private"),
        pgettext("audit field", "window days"),
        pgettext("audit field", "women participation"),
        pgettext("audit field", "worse"),
        pgettext("audit field", "year"),
    ]


_BADGES: dict[tuple[Any, ...], Markup] = {}


def band_badge(band: Any, score: int | None = None) -> Markup:
    """A band's coloured badge, "12 · High" (its label in the reader's language): a template
    global rather than a macro, since the register shows two on every row; each badge is written
    once per language and kept (a matrix has a few bands and 25 scores)."""
    key = (band.label, band.colour, band.fill, score, current_language())
    found = _BADGES.get(key)
    if found is None:
        label = translate(band.label)
        text = escape(label if score is None else f"{score} · {label}")
        style = f"--band: {escape(band.colour)}; --band-fill: {escape(band.fill)}"
        found = _BADGES[key] = Markup(f'<span class="band" style="{style}">{text}</span>')  # noqa: S704
    return found


def enum_labels(members: Iterable[Any]) -> dict[Any, str]:
    """Each member's label in the reader's language, looked up once for a page's rows."""
    return {member: member.label for member in members}
