"""Bulk changes through the single-item services, so no rule is bypassed: every risk goes through
risks.services.update_risk and every control through controls.services.update_control (with its
assignment rules, controls.rules.assign), each with the version the page showed it at and each
with its own audit event.

One transaction (the view commits once). An item changed by someone since the page was loaded is
listed and left alone; the others apply. A rule an item breaks refuses the whole change (the view
rolls back): nothing is written. More than MAX_ITEMS items are refused before anything is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg.auth.models import User
from riskreg.auth.permissions import Permission, can_update_control, has_permission
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n import ngettext

MAX_ITEMS = 500
CORPORATE = "corporate"  # the site value of "no single site"
RISK_FIELDS = ("owner_id", "next_review_date", "status", "site_id")
CONTROL_FIELDS = ("owner_id", "due_date", "department_id")


class BulkError(ValueError):
    """The whole bulk change is refused; nothing is written."""


class BulkForbidden(PermissionError):
    """The person may not change one of the selected items (or that field)."""


@dataclass
class BulkResult:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already as asked
    stale: list[str] = field(default_factory=list)  # changed by someone since the page was loaded

    def message(self, noun: str) -> str:
        count = len(self.changed)
        if noun == "risk":
            changed = ngettext("%(num)d risk changed", "%(num)d risks changed", count)
        elif noun == "control":
            changed = ngettext("%(num)d control changed", "%(num)d controls changed", count)
        else:
            changed = f"{count} {noun}{'' if count == 1 else 's'} changed"
        parts = [changed]
        if self.unchanged:
            parts.append(_("%(num)d already as asked", num=len(self.unchanged)))
        text = "; ".join(parts) + "."
        if self.stale:
            text += " " + _(
                "Left alone, because someone changed them after you loaded the page: %(items)s. "
                "Reload the page to see their changes and try them again.",
                items=", ".join(self.stale),
            )
        return text


def parse_items(raw: Sequence[str]) -> dict[int, int]:
    """The selected items as the page sent them, "id:version" each: {id: version seen}."""
    if len(raw) > MAX_ITEMS:
        raise BulkError(
            _l(
                "%(count)s items selected: a bulk change takes at most %(max)s. "
                "Narrow the list with the filters; nothing was changed.",
                count=len(raw),
                max=MAX_ITEMS,
            )
        )
    items: dict[int, int] = {}
    for value in raw:
        ident, _, version = str(value).partition(":")
        if not (ident.isdigit() and version.isdigit()) or len(ident) > 12 or len(version) > 12:
            raise BulkError(
                _l(
                    "The selection %(value)s is not one the page offered; nothing was changed.",
                    value=repr(value),
                )
            )
        items[int(ident)] = int(version)
    if not items:
        raise BulkError(_l("Select at least one item to change."))
    return items


def _active_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise BulkError(_l("That owner does not exist or is no longer active; nothing was changed."))
    return user


def _load(model: type, items: Mapping[int, int]) -> list[Any]:
    """The items in id order (PostgreSQL: locked, so two bulk changes wait instead of deadlocking)."""
    return list(
        db.session.scalars(
            sa.select(model).where(model.id.in_(list(items))).order_by(model.id).with_for_update()
        )
    )


def change_risks(items: Mapping[int, int], changes: Mapping[str, Any], actor: Any) -> BulkResult:
    """Set `changes` (keys of RISK_FIELDS; site_id None is corporate) on the risks in `items`."""
    from riskreg.risks import services
    from riskreg.risks.models import Risk, RiskStatus
    from riskreg.sites.models import Site

    if not has_permission(actor, Permission.EDIT_RISKS):
        raise BulkForbidden(_l("Only risk managers and admins change risks in bulk."))
    if len(items) > MAX_ITEMS:
        raise BulkError(_l("A bulk change takes at most %(max)s items; nothing was changed.", max=MAX_ITEMS))
    changes = {name: value for name, value in changes.items() if name in RISK_FIELDS}
    if not changes:
        raise BulkError(_l("Choose what to change: owner, next review date, status or site."))
    if "owner_id" in changes:
        _active_user(changes["owner_id"])
    if changes.get("site_id") is not None and db.session.get(Site, changes["site_id"]) is None:
        raise BulkError(_l("That site does not exist; nothing was changed."))
    if changes.get("status") is RiskStatus.ARCHIVED:
        raise BulkError(_l("Archive risks one by one with the Archive button (it asks for the reason)."))
    result = BulkResult()
    found = {risk.id: risk for risk in _load(Risk, items)}
    for ident, seen in sorted(items.items()):
        risk = found.get(ident)
        if risk is None or risk.version != seen:
            result.stale.append(risk.ref if risk is not None else _("#%(id)s (deleted)", id=ident))
            continue
        data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS} | dict(changes)
        try:
            done = services.update_risk(risk, data, actor, seen)
        except services.RiskRuleError as error:
            raise BulkError(
                _l("%(ref)s: %(error)s Nothing was changed.", ref=risk.ref, error=error)
            ) from error
        (result.changed if done else result.unchanged).append(risk.ref)
    return result


def change_controls(items: Mapping[int, int], changes: Mapping[str, Any], actor: Any) -> BulkResult:
    """Set `changes` (keys of CONTROL_FIELDS) on the controls in `items`.

    Risk managers and admins change any control. A department head changes the owner and the due
    date of their own department's controls, never the department: moving work to a department
    they do not head is the risk managers' call (the single control's edit is theirs too)."""
    from riskreg.controls import services
    from riskreg.controls.models import Control

    manager = has_permission(actor, Permission.MANAGE_CONTROLS)
    if not (manager or has_permission(actor, Permission.UPDATE_OWN_DEPARTMENT_CONTROLS)):
        raise BulkForbidden(_l("You may not change controls."))
    if len(items) > MAX_ITEMS:
        raise BulkError(_l("A bulk change takes at most %(max)s items; nothing was changed.", max=MAX_ITEMS))
    changes = {name: value for name, value in changes.items() if name in CONTROL_FIELDS}
    if not changes:
        raise BulkError(_l("Choose what to change: owner, due date or department."))
    if "department_id" in changes and not manager:
        raise BulkForbidden(_l("Only risk managers move controls to another department."))
    if "owner_id" in changes:
        _active_user(changes["owner_id"])
    result = BulkResult()
    found = {control.id: control for control in _load(Control, items)}
    for control in found.values():
        if not can_update_control(actor, control):
            raise BulkForbidden(
                _l("%(ref)s belongs to another department: you may not change it.", ref=control.ref)
            )
    for ident, seen in sorted(items.items()):
        control = found.get(ident)
        if control is None or control.version != seen:
            result.stale.append(control.ref if control is not None else _("#%(id)s (deleted)", id=ident))
            continue
        data = {name: getattr(control, name) for name in services.EDITABLE_FIELDS} | dict(changes)
        if (
            "department_id" in changes
            and "owner_id" not in changes
            and data["department_id"] != control.department_id
        ):
            data["owner_id"] = None  # the new department's head, unless an owner is chosen (rules.assign)
        try:
            done = services.update_control(control, data, actor, seen)
        except services.ControlRuleError as error:
            raise BulkError(
                _l("%(ref)s: %(error)s Nothing was changed.", ref=control.ref, error=error)
            ) from error
        (result.changed if done else result.unchanged).append(control.ref)
    return result


def due_date_in_range(value: date | None) -> None:
    if value is not None and not (date(2000, 1, 1) <= value <= date(2100, 12, 31)):
        raise BulkError(_l("Give a date between 2000 and 2100."))
