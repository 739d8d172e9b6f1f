"""The ASM-presence form under optimistic locking: its three inputs (follow the observations, or a
presence set by hand with a reason) are one decision, so the three-way merge treats them as one
field: mixing one person's source with the other's reason would make a setting nobody chose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from riskreg.audit import plain
from riskreg.editing import Edit
from riskreg.i18n import gettext as _
from riskreg.sites.models import AsmPresence, PresenceSource, Site
from riskreg.versioning import put

FIELDS = ("setting",)


def setting(source: Any, presence: Any, reason: str | None) -> dict[str, Any]:
    if plain(source) != PresenceSource.MANUAL.value:
        return {"source": PresenceSource.OBSERVATIONS.value}  # the presence follows; nobody chose it
    manual = PresenceSource.MANUAL.value
    return {"source": manual, "presence": plain(presence), "reason": (reason or "").strip()}


def stored(site: Site) -> dict[str, Any]:
    return {"setting": setting(site.asm_presence_source, site.asm_presence, site.asm_presence_reason)}


class PresenceEdit(Edit):
    def __init__(self, form: Any, site_id: int) -> None:
        super().__init__(form, "site", site_id, FIELDS, salt="site-presence")

    def label(self, name: str) -> str:
        return _("ASM presence")

    def show(self, name: str, value: Any) -> str:
        value = value or {}
        if value.get("source") != PresenceSource.MANUAL.value:
            return _("Follows the observations")
        try:
            presence = AsmPresence(value.get("presence")).label
        except ValueError:
            presence = "—"
        reason = value.get("reason") or _("no reason given")
        return _("Set by hand: %(presence)s (%(reason)s)", presence=presence, reason=reason)

    def read(self, name: str) -> dict[str, Any]:
        return setting(self.form.source.data, self.form.presence.data, self.form.reason.data)

    def fill(self, values: Mapping[str, Any]) -> None:
        chosen = values["setting"]
        put(self.form.source, chosen["source"])
        manual = chosen["source"] == PresenceSource.MANUAL.value
        put(self.form.presence, AsmPresence(chosen["presence"]) if manual else None)
        put(self.form.reason, chosen.get("reason", ""))
