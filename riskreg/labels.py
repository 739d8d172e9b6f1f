"""The words people read for stored values: one home for the History and anything else that shows
an audited value. Every enum column of a risk and a control is found from the models themselves,
so a new enum field gets its labels without a change here."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

EMPTY = "—"


@cache
def enum_fields(entity: str) -> dict[str, type]:
    """{field: enum class} for the audited entity ("risk", "control")."""
    from riskreg.controls.models import Control, risk_controls
    from riskreg.risks.models import Risk

    model = {"risk": Risk, "control": Control}.get(entity)
    if model is None:
        return {}
    found: dict[str, type] = {}
    # A risk-control link's role and effectiveness are audited on both sides (the bowtie).
    for column in [*risk_controls.columns, *sa.inspect(model).columns]:
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
