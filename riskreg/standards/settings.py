"""The frameworks that apply to the company: an AppSetting shared by every worker, audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit, reference
from riskreg.extensions import db
from riskreg.standards.catalogue import Framework, parse_frameworks
from riskreg.standards.models import AppSetting, Requirement

SETTING_KEY = "frameworks"
AUDIT_ENTITY = "settings"  # audit events of company settings; entity_id 0, the key in the changes


class SettingsError(ValueError):
    pass


def _catalogue_frameworks() -> dict[str, Framework]:
    """Names and core flags from the seed file (labels only; the database holds the requirements)."""
    try:
        return {
            fw.key: fw for fw in parse_frameworks(reference.seed_file("standards.toml").get("frameworks", []))
        }
    except (OSError, ValueError):
        return {}


def available_frameworks() -> list[Framework]:
    """Frameworks that have requirements in the database, in the catalogue's order."""
    keys = set(db.session.scalars(sa.select(Requirement.framework_key).distinct()))
    named = _catalogue_frameworks()
    ordered = [fw for key, fw in named.items() if key in keys]
    ordered += [Framework(key, key, False) for key in sorted(keys - set(named))]
    return ordered


def selected_framework_keys(available: list[Framework] | None = None) -> list[str]:
    """The company's choice; until an admin chooses, the catalogue's core frameworks."""
    available = available if available is not None else available_frameworks()
    setting = db.session.get(AppSetting, SETTING_KEY)
    if setting is not None and isinstance(setting.value, list):
        chosen = set(setting.value)
        return [fw.key for fw in available if fw.key in chosen]
    core = [fw.key for fw in available if fw.core]
    return core or [fw.key for fw in available]


def check_framework_keys(keys: list[str], available: list[Framework] | None = None) -> list[str]:
    """Known keys in catalogue order; an unknown key is refused by name."""
    available = available if available is not None else available_frameworks()
    known = [fw.key for fw in available]
    unknown = [key for key in keys if key not in known]
    if unknown:
        if known:
            raise SettingsError(
                _l(
                    "Unknown framework(s): %(keys)s. Known frameworks: %(known)s.",
                    keys=", ".join(unknown),
                    known=", ".join(known),
                )
            )
        raise SettingsError(
            _l("Unknown framework(s): %(keys)s. Known frameworks: none.", keys=", ".join(unknown))
        )
    return [key for key in known if key in set(keys)]


def save_frameworks(keys: list[str], actor: Any) -> dict[str, list[Any]]:
    """Store the company's frameworks (at least one); returns the audited change, if any."""
    available = available_frameworks()
    chosen = check_framework_keys(keys, available)
    if not chosen:
        raise SettingsError(_l("Choose at least one framework."))
    before = selected_framework_keys(available)
    setting = db.session.get(AppSetting, SETTING_KEY)
    if setting is None:
        db.session.add(AppSetting(key=SETTING_KEY, value=chosen))
    else:
        setting.value = chosen
    db.session.flush()
    changes = {SETTING_KEY: [before, chosen]} if before != chosen else {}
    if changes or setting is None:
        audit.record(AUDIT_ENTITY, 0, "update", actor, changes, note=f"Setting '{SETTING_KEY}'")
    return changes
