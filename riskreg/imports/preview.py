"""The plan in words for the preview page: labels instead of ids, long lists cut to a readable size,
and the warnings that stop nothing (ignored columns, likely duplicates)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from riskreg.exports.columns import CORPORATE
from riskreg.exports.labels import words as translated
from riskreg.i18n import gettext as _
from riskreg.i18n import pgettext
from riskreg.i18n.reference import translate
from riskreg.imports.plan import Lookups, Plan, label, likely_duplicates
from riskreg.imports.reader import Problem

# What a risk's audit events say was done, for the preview's "changed meanwhile" list (the codes
# stay as they are in English, as the audit stores them).
ACTIONS = {
    "create": lambda: pgettext("audit action", "create"),
    "update": lambda: pgettext("audit action", "update"),
    "reassess": lambda: pgettext("audit action", "reassess"),
    "review": lambda: pgettext("audit action", "review"),
    "archive": lambda: pgettext("audit action", "archive"),
    "restore": lambda: pgettext("audit action", "restore"),
    "link": lambda: pgettext("audit action", "link"),
    "link_control": lambda: pgettext("audit action", "link_control"),
    "unlink_control": lambda: pgettext("audit action", "unlink_control"),
    "control_role": lambda: pgettext("audit action", "control_role"),
}
SHOWN = 300  # rows of each list on the page; the counts are always complete
TEXT_CUT = 160


@dataclass
class Preview:
    creates: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def can_confirm(self) -> bool:
        return not self.counts["problems"] and bool(self.counts["creates"] or self.counts["changes"])


def action_words(action: str) -> str:
    """An audit event's action in the reader's language (the code itself when it has no words)."""
    found = ACTIONS.get(action)
    return found() if found is not None else action


def words(name: str, value: Any, lookups: Lookups) -> str:
    if value is None or value == "":
        return translated(CORPORATE) if name == "site_id" else "—"
    if name == "site_id":
        return lookups.site_names.get(value) or _("site #%(id)s", id=value)
    if name == "owner_id":
        return lookups.user_names.get(value) or _("user #%(id)s", id=value)
    if isinstance(value, enum.Enum):
        return getattr(value, "label", str(value.value))
    if isinstance(value, date):
        return value.isoformat()
    if name == "category":
        return str(translate(value) or value)  # the taxonomy's words in the reader's language
    text = str(value)
    return text if len(text) <= TEXT_CUT else text[: TEXT_CUT - 1] + "…"


def build(plan: Plan, lookups: Lookups) -> Preview:
    preview = Preview(
        problems=plan.problems[:SHOWN],
        ignored=[translated(header) for header in plan.ignored],
        warnings=plan.warnings[:SHOWN],
        counts={
            "creates": len(plan.creates),
            "changes": len(plan.changes),
            "unchanged": len(plan.unchanged),
            "problems": len(plan.problems),
            "warnings": len(plan.warnings),
        },
    )
    duplicates = likely_duplicates(plan.creates) if plan.creates else []
    preview.counts["duplicates"] = len(duplicates)
    for duplicate in duplicates[:SHOWN]:
        preview.duplicates.append(
            {
                "row": duplicate.row,
                "title": duplicate.title,
                "site": words("site_id", duplicate.site_id, lookups),
                "risks": [(rid, ref, status.label) for rid, ref, status in duplicate.risks],
                "rows": duplicate.rows,
            }
        )
    for create in plan.creates[:SHOWN]:
        v = create.values
        preview.creates.append(
            {
                "row": create.row,
                "title": v["title"],
                "site": words("site_id", v["site_id"], lookups),
                "direction": words("direction", v["direction"], lookups),
                "category": v["category"],
                "owner": words("owner_id", v["owner_id"], lookups),
                "inherent": f"{v['inherent_likelihood']} × {v['inherent_impact']}",
                "residual": f"{v['residual_likelihood']} × {v['residual_impact']}",
                "status": words("status", v["status"], lookups),
            }
        )
    for change in plan.changes[:SHOWN]:
        preview.changes.append(
            {
                "row": change.row,
                "ref": change.risk.ref,
                "risk_id": change.risk.id,
                "title": change.risk.title,
                "fields": [
                    (label(name), words(name, old, lookups), words(name, new, lookups))
                    for name, (old, new) in change.changes.items()
                ],
            }
        )
    preview.unchanged = [ref for _, ref in plan.unchanged[:SHOWN]]
    return preview
