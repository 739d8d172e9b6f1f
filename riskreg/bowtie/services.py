"""A risk's causes and consequences, and the role of each of its controls on the bowtie.

The register keeps one cause and one consequence text per risk (the Register sheet, the import, the
risk form); the first structured cause and consequence mirror them: `mirror_first` keeps the two
equal whichever side is written. Services flush and audit; the view commits once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.controls.models import Control, Effectiveness, RiskControl, Role
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks.models import Risk, RiskCause, RiskConsequence

MAX_TEXT = 300
MAX_ITEMS = 20
KINDS: dict[str, type[RiskCause] | type[RiskConsequence]] = {
    "cause": RiskCause,
    "consequence": RiskConsequence,
}


class BowtieError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def items(risk_id: int, kind: str) -> list[Any]:
    model = KINDS[kind]
    return list(
        db.session.scalars(
            sa.select(model).where(model.risk_id == risk_id).order_by(model.position, model.id)
        )
    )


def _clean(text: str | None, kind: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise BowtieError(
            "text",
            _l("Write the cause in a few words.")
            if kind == "cause"
            else _l("Write the consequence in a few words."),
        )
    if len(text) > MAX_TEXT:
        raise BowtieError(
            "text",
            _l("Keep the cause under %(max)s characters; the details go in the description.", max=MAX_TEXT)
            if kind == "cause"
            else _l(
                "Keep the consequence under %(max)s characters; the details go in the description.",
                max=MAX_TEXT,
            ),
        )
    return text


def _mirror_to_risk(risk: Risk, kind: str) -> None:
    """The register's single text follows the first item (empty when none is left)."""
    first = items(risk.id, kind)
    text = first[0].text if first else ""
    if getattr(risk, kind).strip() != text:
        setattr(risk, kind, text)


def add_item(risk: Risk, kind: str, text: str, actor: Any) -> Any:
    text = _clean(text, kind)
    existing = items(risk.id, kind)
    if len(existing) >= MAX_ITEMS:
        raise BowtieError(
            "text",
            _l("A risk has at most %(max)s causes: merge some before adding another.", max=MAX_ITEMS)
            if kind == "cause"
            else _l(
                "A risk has at most %(max)s consequences: merge some before adding another.", max=MAX_ITEMS
            ),
        )
    if any(item.text.lower() == text.lower() for item in existing):
        raise BowtieError(
            "text",
            _l("%(ref)s already has that cause.", ref=risk.ref)
            if kind == "cause"
            else _l("%(ref)s already has that consequence.", ref=risk.ref),
        )
    position = max((item.position for item in existing), default=-1) + 1
    item = KINDS[kind](risk_id=risk.id, position=position, text=text)
    db.session.add(item)
    db.session.flush()
    _mirror_to_risk(risk, kind)
    audit.record("risk", risk.id, f"add_{kind}", actor, {f"{kind}s": [None, text]})
    return item


def get_item(risk: Risk, kind: str, item_id: int) -> Any:
    item = db.session.get(KINDS[kind], item_id)
    if item is None or item.risk_id != risk.id:
        raise BowtieError(
            "text",
            _l("That cause is not one of %(ref)s's.", ref=risk.ref)
            if kind == "cause"
            else _l("That consequence is not one of %(ref)s's.", ref=risk.ref),
        )
    return item


def edit_item(risk: Risk, kind: str, item_id: int, text: str, actor: Any) -> None:
    item = get_item(risk, kind, item_id)
    text = _clean(text, kind)
    if text == item.text:
        return
    old, item.text = item.text, text
    db.session.flush()
    _mirror_to_risk(risk, kind)
    audit.record("risk", risk.id, f"edit_{kind}", actor, {f"{kind}s": [old, text]})


def remove_item(risk: Risk, kind: str, item_id: int, actor: Any) -> None:
    """Its controls stay linked to the risk, their line no longer said (they show as unplaced)."""
    item = get_item(risk, kind, item_id)
    old = item.text
    db.session.delete(item)
    db.session.flush()
    _mirror_to_risk(risk, kind)
    audit.record("risk", risk.id, f"remove_{kind}", actor, {f"{kind}s": [old, None]})


def mirror_first(texts: Mapping[int, Mapping[str, str]], new: bool = False) -> None:
    """After risks were written through the register (form, import): their first cause and first
    consequence take the register's text; {risk_id: {"cause": text, "consequence": text}}, only
    the fields that changed. Set-based: two reads and a few statements, whatever the count; `new`
    risks have no items yet, so nothing is read and only non-empty texts are written."""
    for kind, model in KINDS.items():
        wanted = {
            rid: " ".join(values[kind].split())[:MAX_TEXT] for rid, values in texts.items() if kind in values
        }
        if new:
            wanted = {rid: text for rid, text in wanted.items() if text}
        if not wanted:
            continue
        first: dict[int, Any] = {}
        for row in (
            []
            if new
            else db.session.execute(
                sa.select(model.id, model.risk_id, model.text)
                .where(model.risk_id.in_(list(wanted)))
                .order_by(model.risk_id, model.position.desc(), model.id.desc())
            )
        ):
            first[row.risk_id] = row  # the last seen per risk is its first by position
        inserts, updates, deletes = [], [], []
        for rid, text in wanted.items():
            row = first.get(rid)
            if row is None and text:
                inserts.append({"risk_id": rid, "position": 0, "text": text, "created_at": utcnow()})
            elif row is not None and not text:
                deletes.append(row.id)
            elif row is not None and row.text != text:
                updates.append({"item_id": row.id, "new_text": text})
        table = model.__table__
        if inserts:
            db.session.execute(sa.insert(table), inserts)
        if updates:
            db.session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("item_id"))
                .values(text=sa.bindparam("new_text")),
                updates,
                execution_options={"synchronize_session": False},
            )
        if deletes:
            db.session.execute(
                sa.delete(table).where(table.c.id.in_(deletes)),
                execution_options={"synchronize_session": False},
            )


def link_of(risk: Risk, control: Control) -> RiskControl:
    link = db.session.get(RiskControl, (risk.id, control.id))
    if link is None:
        raise BowtieError(
            "control",
            _l("%(control)s does not act on %(risk)s: link it first.", control=control.ref, risk=risk.ref),
        )
    return link


def set_link(
    risk: Risk,
    control: Control,
    role: Role | None,
    item_id: int | None,
    effectiveness: Effectiveness | None,
    actor: Any,
) -> dict[str, list[Any]]:
    """Where the control sits on this risk's bowtie and how well it works for this risk.

    A preventive control acts on one of the risk's causes, a mitigating one on a consequence (or on
    none said yet); `effectiveness` None means the control's own rating applies."""
    link = link_of(risk, control)
    cause_id = consequence_id = None
    if item_id is not None:
        if role is None:
            raise BowtieError(
                "role", _l("Say whether the control prevents or mitigates before choosing its line.")
            )
        kind = "cause" if role is Role.PREVENTIVE else "consequence"
        try:
            item = get_item(risk, kind, item_id)
        except BowtieError as error:
            raise BowtieError(
                "item_id",
                _l("A preventive control acts on a cause of %(ref)s; choose one of them.", ref=risk.ref)
                if kind == "cause"
                else _l(
                    "A mitigating control acts on a consequence of %(ref)s; choose one of them.", ref=risk.ref
                ),
            ) from error
        cause_id, consequence_id = (item.id, None) if kind == "cause" else (None, item.id)
    before = _link_view(link)
    link.role, link.cause_id, link.consequence_id, link.effectiveness = (
        role,
        cause_id,
        consequence_id,
        effectiveness,
    )
    db.session.flush()
    changes = audit.diff(before, _link_view(link))
    if changes:
        audit.record("risk", risk.id, "control_role", actor, changes, control.ref)
        audit.record("control", control.id, "risk_role", actor, changes, risk.ref)
    return changes


def role_mismatch(role: Role) -> Any:
    """The message when the role contradicts the line chosen (the other side of the bowtie)."""
    if role is Role.PREVENTIVE:
        return _l("A preventive control cannot act on a consequence: change the role or the line.")
    return _l("A mitigating control cannot act on a cause: change the role or the line.")


def _link_view(link: RiskControl) -> dict[str, Any]:
    def text(model: Any, ident: int | None) -> str | None:
        item = db.session.get(model, ident) if ident is not None else None
        return item.text if item is not None else None

    return {
        "role": audit.plain(link.role),
        "cause": text(RiskCause, link.cause_id),
        "consequence": text(RiskConsequence, link.consequence_id),
        "effectiveness_for_risk": audit.plain(link.effectiveness),
    }
