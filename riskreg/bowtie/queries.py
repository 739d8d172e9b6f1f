"""What a risk's bowtie shows, read in a few queries: its causes and consequences, and each of its
controls with its role, line, effectiveness for the risk, critical mark and last verification."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from riskreg.bowtie.layout import ControlLine, Drawing, draw
from riskreg.controls.models import Control, RiskControl, Role
from riskreg.critical.queries import last_failed
from riskreg.extensions import db
from riskreg.risks.models import Risk, RiskCause, RiskConsequence


@dataclass
class Bowtie:
    risk: Risk
    causes: list[tuple[int, str]]
    consequences: list[tuple[int, str]]
    lines: list[ControlLine]

    @property
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


def _items(model, risk_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = {rid: [] for rid in risk_ids}
    for item_id, risk_id, text in db.session.execute(
        sa.select(model.id, model.risk_id, model.text)
        .where(model.risk_id.in_(risk_ids))
        .order_by(model.risk_id, model.position, model.id)
    ):
        found[risk_id].append((item_id, text))
    return found


def bowties(risks: list[Risk]) -> list[Bowtie]:
    """The bowties of these risks (four queries whatever their number)."""
    ids = [r.id for r in risks]
    if not ids:
        return []
    causes, consequences = _items(RiskCause, ids), _items(RiskConsequence, ids)
    rows = db.session.execute(
        sa.select(RiskControl, Control)
        .join(Control, Control.id == RiskControl.control_id)
        .where(RiskControl.risk_id.in_(ids))
        .order_by(RiskControl.risk_id, Control.critical.desc(), Control.ref)
    ).all()
    failed = last_failed(sorted({control.id for _, control in rows if control.critical}))
    lines: dict[int, list[ControlLine]] = {rid: [] for rid in ids}
    for link, control in rows:
        lines[link.risk_id].append(
            ControlLine(
                control_id=control.id,
                ref=control.ref or "",
                title=control.title,
                role=link.role,
                item_id=link.cause_id if link.role is Role.PREVENTIVE else link.consequence_id,
                effectiveness=link.effectiveness or control.effectiveness,
                own_rating=link.effectiveness is not None,
                critical=control.critical,
                last_failed=control.id in failed,
            )
        )
    return [Bowtie(r, causes[r.id], consequences[r.id], lines[r.id]) for r in risks]


def bowtie(risk: Risk) -> Bowtie:
    return bowties([risk])[0]
