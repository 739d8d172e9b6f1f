"""The bulk forms of the register and the tracker. The selected items come as "id:version" values
of the `item` checkboxes (read by services.parse_items); a field left empty is kept as it is."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional, ValidationError

from riskreg.bulk import services
from riskreg.forms import (
    DateField,  # YYYY-MM-DD inputs
    Form,
)
from riskreg.i18n import gettext as _
from riskreg.risks.models import RiskStatus


def _id(value: str | None, what: str) -> int | None:
    value = (value or "").strip()
    if value == "":
        return None
    if not value.isdigit() or len(value) > 12:
        messages = {
            "owner": _("That owner is not one the page offered."),
            "site": _("That site is not one the page offered."),
            "department": _("That department is not one the page offered."),
        }
        raise ValidationError(
            messages.get(what) or _("That %(what)s is not one the page offered.", what=what)
        )
    return int(value)


class BulkForm(Form):
    back = HiddenField(validators=[Length(max=2000)])

    def back_url(self, default: str, prefix: str) -> str:
        """Back to the list with its filters; only a path of that list (never another site)."""
        back = (self.back.data or "").strip()
        if back == prefix or back.startswith(prefix + "?"):
            return back
        return default


class RiskBulkForm(BulkForm):
    owner_id = StringField(_l("Owner"))
    next_review_date = DateField(_l("Next review"), validators=[Optional()])
    status = StringField(_l("Status"))
    site = StringField(_l("Site"))

    def changes(self) -> dict[str, Any]:
        """The fields to set (only those given); raises ValidationError on a value the page never offered."""
        changes: dict[str, Any] = {}
        owner = _id(self.owner_id.data, "owner")
        if owner is not None:
            changes["owner_id"] = owner
        if self.next_review_date.data is not None:
            services.due_date_in_range(self.next_review_date.data)
            changes["next_review_date"] = self.next_review_date.data
        status = (self.status.data or "").strip()
        if status:
            if status not in {s.value for s in RiskStatus}:
                raise ValidationError(_("That status is not one the page offered."))
            changes["status"] = RiskStatus(status)
        site = (self.site.data or "").strip()
        if site == services.CORPORATE:
            changes["site_id"] = None
        elif site:
            changes["site_id"] = _id(site, "site")
        return changes


class ControlBulkForm(BulkForm):
    owner_id = StringField(_l("Owner"))
    due_date = DateField(_l("Due date"), validators=[Optional()])
    department_id = StringField(_l("Department"))

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        owner = _id(self.owner_id.data, "owner")
        if owner is not None:
            changes["owner_id"] = owner
        if self.due_date.data is not None:
            services.due_date_in_range(self.due_date.data)
            changes["due_date"] = self.due_date.data
        department = _id(self.department_id.data, "department")
        if department is not None:
            changes["department_id"] = department
        return changes
