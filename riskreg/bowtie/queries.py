"""What a risk's bowtie shows, read in a few queries: its causes and consequences, and each of its
controls with its role, line, effectiveness for the risk, critical mark and last verification."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Protocol

import sqlalchemy as sa

from riskreg import reads
from riskreg.bowtie.layout import ControlLine, Drawing, draw
from riskreg.controls.models import Control, Role, risk_controls
from riskreg.critical.queries import last_failed
from riskreg.i18n import gettext as _
from riskreg.risks.models import RiskCause, RiskConsequence


class NamedRisk(Protocol):
    """What a bowtie shows of its risk: a Risk, or a row that names one (the dashboard's top ten)."""

    @property
    def id(self) -> int: ...
    @property
    def ref(self) -> str: ...
    @property
    def title(self) -> str: ...


@dataclass
class Bowtie:
    risk: NamedRisk
    causes: list[tuple[int, str]]
    consequences: list[tuple[int, str]]
    lines: list[ControlLine]

    @cached_property
    def drawing(self) -> Drawing:
        return draw(self.risk.ref, self.risk.title, self.causes, self.consequences, self.lines)

    def item_text(self, line: ControlLine) -> str | None:
        items = self.causes if line.role is Role.PREVENTIVE else self.consequences
        return dict(items).get(line.item_id) if line.role is not None else None

    def rows(self) -> list[tuple[str, str, ControlLine | None]]:
        """The table (and the Bowtie sheet): one row per cause/consequence-control line; a cause or
        consequence without controls has a row of its own, so nothing drawn is missing from it."""
        result: list[tuple[str, str, ControlLine | None]] = []
        for side, items, role in (
            (_("Cause"), self.causes, Role.PREVENTIVE),
            (_("Consequence"), self.consequences, Role.MITIGATING),
        ):
            for item_id, text in items:
                on = [line for line in self.lines if line.role is role and line.item_id == item_id]
                result.extend((side, text, line) for line in on) if on else result.append((side, text, None))
            known = {item_id for item_id, _ in items}
            result.extend(
                (side, _("(not given)"), line)
                for line in self.lines
                if line.role is role and line.item_id not in known
            )
        result.extend((_("Role not set"), "", line) for line in self.lines if line.role is None)
        return result


# The statements are built once (table columns, the risks bound as `ids`): building them cost
# more than running them, and plain columns skip the ORM's handling of the rows.
@cache
def _items_statement() -> sa.Select:
    """The causes (side 0) and consequences (side 1) of the risks `ids`, each in its order."""
    ids = sa.bindparam("ids", expanding=True)
    arms = [
        sa.select(
            sa.literal(side).label("side"), table.c.id, table.c.risk_id, table.c.text, table.c.position
        ).where(table.c.risk_id.in_(ids))
        for side, table in ((0, RiskCause.__table__), (1, RiskConsequence.__table__))
    ]
    both = sa.union_all(*arms).subquery()
    return sa.select(both.c.side, both.c.id, both.c.risk_id, both.c.text).order_by(
        both.c.side, both.c.risk_id, both.c.position, both.c.id
    )


@cache
def _lines_statement() -> sa.Select:
    """The control lines of the risks `ids`: the link's role, item and rating, the control's own."""
    link, control = risk_controls.c, Control.__table__.c
    return (
        sa.select(
            link.risk_id,
            link.role,
            link.cause_id,
            link.consequence_id,
            link.effectiveness,
            control.id,
            control.ref,
            control.title,
            control.critical,
            control.effectiveness,
        )
        .join_from(risk_controls, Control.__table__, control.id == link.control_id)
        .where(link.risk_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(link.risk_id, control.critical.desc(), control.ref)
    )


def _items(risk_ids: list[int]) -> tuple[dict[int, list[tuple[int, str]]], dict[int, list[tuple[int, str]]]]:
    """The causes and the consequences of these risks, each in its order (one statement)."""
    causes: dict[int, list[tuple[int, str]]] = {rid: [] for rid in risk_ids}
    consequences: dict[int, list[tuple[int, str]]] = {rid: [] for rid in risk_ids}
    for side, item_id, risk_id, text in reads.rows(_items_statement(), {"ids": risk_ids}):
        (consequences if side else causes)[risk_id].append((item_id, text))
    return causes, consequences


def bowties(risks: list[NamedRisk]) -> list[Bowtie]:
    """The bowties of these risks (two to four statements whatever their number)."""
    ids = [r.id for r in risks]
    if not ids:
        return []
    causes, consequences = _items(ids)
    rows = reads.rows(_lines_statement(), {"ids": ids})
    failed = last_failed(sorted({row[5] for row in rows if row[8]}))
    lines: dict[int, list[ControlLine]] = {rid: [] for rid in ids}
    for risk_id, role, cause_id, consequence_id, own, control_id, ref, title, critical, rated in rows:
        lines[risk_id].append(
            ControlLine(
                control_id=control_id,
                ref=ref or "",
                title=title,
                role=role,
                item_id=cause_id if role is Role.PREVENTIVE else consequence_id,
                effectiveness=own or rated,
                own_rating=own is not None,
                critical=critical,
                last_failed=control_id in failed,
            )
        )
    return [Bowtie(r, causes[r.id], consequences[r.id], lines[r.id]) for r in risks]


def bowtie(risk: NamedRisk) -> Bowtie:
    return bowties([risk])[0]
