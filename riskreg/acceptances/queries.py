"""Read side of acceptances: a risk's acceptance status, the register's marks, the /acceptances
register, and the "My work" sections (awaiting my approval; escalated above appetite)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from riskreg import reads, scoring
from riskreg.acceptances.models import Acceptance, AcceptanceState
from riskreg.extensions import db
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.risks.models import Risk, Treatment

MY_WORK_LIMIT = 20
# The one word the /acceptances register shows for each state (its tabs, filter and rows).
STATE_WORDS = {
    AcceptanceState.PENDING.value: _l("Pending"),
    AcceptanceState.ACTIVE.value: _l("Active"),
    AcceptanceState.REJECTED.value: _l("Rejected"),
    AcceptanceState.EXPIRED.value: _l("Expired"),
    AcceptanceState.VOIDED.value: _l("Voided"),
    AcceptanceState.SUPERSEDED.value: _l("Superseded"),
}


@dataclass(frozen=True)
class Status:
    key: str  # css and tests: pending, active, expired, rejected, voided, none
    label: str  # in the page's language


def status_of(treatment: Treatment, acceptances: Sequence[Any]) -> Status | None:
    """What the register says about the risk's acceptance, from its acceptances newest first
    (objects with state and expires_on). An active approval counts even while an extension waits."""
    active = next((a for a in acceptances if a.state is AcceptanceState.ACTIVE), None)
    pending = next((a for a in acceptances if a.state is AcceptanceState.PENDING), None)
    if active is not None:
        until = day(active.expires_on)
        if pending is not None:
            return Status("active", _("Accepted until %(day)s (extension pending)", day=until))
        return Status("active", _("Accepted until %(day)s", day=until))
    if pending is not None:
        return Status("pending", _("Acceptance pending"))
    if treatment is not Treatment.ACCEPT:
        return None
    if not acceptances:
        return Status("none", _("Not accepted: no approved acceptance"))
    latest = acceptances[0].state
    if latest is AcceptanceState.EXPIRED:
        return Status("expired", _("Acceptance expired: needs review"))
    if latest is AcceptanceState.REJECTED:
        return Status("rejected", _("Acceptance rejected"))
    if latest is AcceptanceState.VOIDED:
        return Status("voided", _("Acceptance voided: needs review"))
    return Status("none", _("Not accepted: no approved acceptance"))


@functools.cache
def _acceptances_of() -> sa.Select:
    """Built once, run with a page's risk ids (an expanding IN): every register page asks."""
    return (
        sa.select(Acceptance.risk_id, Acceptance.state, Acceptance.expires_on)
        .where(Acceptance.risk_id.in_(sa.bindparam("risk_ids", expanding=True)))
        .order_by(Acceptance.risk_id, Acceptance.id.desc())
    )


def _by_risk(risk_ids: Iterable[int]) -> dict[int, list[Any]]:
    ids = list(risk_ids)
    if not ids:
        return {}
    rows = reads.rows(_acceptances_of(), {"risk_ids": ids})
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.risk_id, []).append(row)
    return grouped


def register_marks(risks: Sequence[Risk]) -> dict[int, list[Status]]:
    """Marks beside each risk of a register page: above appetite, the acceptance status (2 queries)."""
    from riskreg.appetite import queries as appetite

    ranks = appetite.ranks()
    grouped = _by_risk(risk.id for risk in risks)
    marks: dict[int, list[Status]] = {}
    above = Status("above-appetite", _("Above appetite"))  # translated once, not once per row
    for risk in risks:
        found = []
        if appetite.is_above(risk, ranks):
            found.append(above)
        status = status_of(risk.treatment, grouped.get(risk.id, []))
        if status is not None:
            found.append(status)
        if found:
            marks[risk.id] = found
    return marks


def risk_panel(risk: Risk, listed: Any = None) -> dict[str, Any]:
    """What the risk page shows and offers about acceptance and appetite. `listed` (riskreg.risks.
    queries.Listed), read with the risk's row, says whether it has acceptances and gives its
    category's appetite: neither is queried again."""
    from flask_login import current_user

    from riskreg.acceptances import services
    from riskreg.acceptances.forms import DecisionForm
    from riskreg.appetite import queries as appetite
    from riskreg.auth.permissions import Permission, can_edit_risk, has_permission

    requested = listed is None or listed.acceptances
    acceptances = list(db.session.scalars(_risk_acceptances(), {"risk_id": risk.id})) if requested else []
    if listed is None:
        ranks = appetite.ranks()
    else:
        ranks = appetite.ranks({risk.category: listed.appetite} if listed.appetite else {})
    above = appetite.is_above(risk, ranks)
    pending = next((a for a in acceptances if a.state is AcceptanceState.PENDING), None)
    active = next((a for a in acceptances if a.state is AcceptanceState.ACTIVE), None)
    has_plan = any(control.status.value in ("planned", "in_progress") for control in risk.controls)
    can_decide = (
        pending is not None
        and has_permission(current_user, Permission.APPROVE_ACCEPTANCES)
        and services.may_approve(current_user, risk)
        and current_user.id != pending.requested_by_id
    )
    return {
        "acceptances": acceptances,
        "acceptance_status": status_of(risk.treatment, acceptances),
        "acceptance_pending": pending,
        "acceptance_review_reason": services.needs_review(risk, acceptances[0] if acceptances else None),
        "can_request_acceptance": can_edit_risk(current_user, risk) and pending is None,
        "can_decide_acceptance": can_decide,
        "decision_form": DecisionForm() if can_decide else None,
        "above_appetite": above,
        "appetite_band": scoring.matrix().bands[ranks[risk.category]] if risk.category in ranks else None,
        "escalated": above and not has_plan and active is None,
        "explain_reason": explain_reason,
    }


@functools.cache
def _risk_acceptances() -> sa.Select:
    """A risk's last ten acceptances, built once (its page runs it)."""
    return (
        sa.select(Acceptance)
        .where(Acceptance.risk_id == sa.bindparam("risk_id"))
        .order_by(Acceptance.id.desc())
        .limit(10)
        .options(
            selectinload(Acceptance.approver),
            selectinload(Acceptance.requested_by),
            selectinload(Acceptance.decided_by),
        )
    )


def explain_reason(reason: str | None) -> str:
    """An acceptance's end reason (stored in English) in the page's language."""
    from riskreg.acceptances.services import explain

    return str(explain(reason))


# ---- the /acceptances register --------------------------------------------------------------


@dataclass(frozen=True)
class AcceptanceFilters:
    state: AcceptanceState | None = None
    site: int | None = None
    corporate: bool = False
    approver: int | None = None
    band: str | None = None

    def query_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.state is not None:
            args["state"] = self.state.value
        if self.corporate:
            args["site"] = "corporate"
        elif self.site is not None:
            args["site"] = self.site
        if self.approver is not None:
            args["approver"] = self.approver
        if self.band:
            args["band"] = self.band
        return args


def parse_filters(args: Any) -> AcceptanceFilters:
    from werkzeug.exceptions import BadRequest

    from riskreg.params import MAX_ID, query_int

    state = args.get("state", "").strip()
    if state and state not in {s.value for s in AcceptanceState}:
        raise BadRequest(
            _(
                "Filter 'state' must be one of %(choices)s; %(value)s is not.",
                choices=", ".join(s.value for s in AcceptanceState),
                value=repr(state),
            )
        )
    band = args.get("band", "").strip()
    keys = scoring.matrix().band_keys
    if band and band not in keys:
        raise BadRequest(
            _(
                "Filter 'band' must be one of %(choices)s; %(value)s is not.",
                choices=", ".join(keys),
                value=repr(band),
            )
        )
    corporate = args.get("site", "").strip() == "corporate"
    return AcceptanceFilters(
        state=AcceptanceState(state) if state else None,
        site=None if corporate else query_int(args, "site", 1, MAX_ID),
        corporate=corporate,
        approver=query_int(args, "approver", 1, MAX_ID),
        band=band or None,
    )


def filtered(filters: AcceptanceFilters) -> sa.Select:
    stmt = sa.select(Acceptance).join(Risk, Risk.id == Acceptance.risk_id)
    if filters.state is not None:
        stmt = stmt.where(Acceptance.state == filters.state)
    if filters.corporate:
        stmt = stmt.where(Risk.site_id.is_(None))
    elif filters.site is not None:
        stmt = stmt.where(Risk.site_id == filters.site)
    if filters.approver is not None:
        stmt = stmt.where(Acceptance.approver_id == filters.approver)
    if filters.band:
        stmt = stmt.where(Acceptance.residual_band == filters.band)
    return stmt


def with_people(stmt: sa.Select) -> sa.Select:
    return stmt.options(
        selectinload(Acceptance.risk).selectinload(Risk.site),
        selectinload(Acceptance.risk).selectinload(Risk.owner),
        selectinload(Acceptance.approver),
        selectinload(Acceptance.requested_by),
        selectinload(Acceptance.decided_by),
    )


def register_page(filters: AcceptanceFilters, page: int, per_page: int) -> Any:
    stmt = with_people(filtered(filters).order_by(Acceptance.id.desc()))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def state_counts(filters: AcceptanceFilters) -> dict[str, int]:
    base = filtered(AcceptanceFilters(**{**filters.__dict__, "state": None})).subquery()
    rows = db.session.execute(sa.select(base.c.state, sa.func.count()).group_by(base.c.state))
    counts = {state.value: 0 for state in AcceptanceState}
    counts.update({getattr(state, "value", state): count for state, count in rows})
    return counts


# ---- My work -------------------------------------------------------------------------------


def awaiting_my_approval(user: Any, on: date) -> Any:
    """Pending requests that name this user as approver."""
    from riskreg.me.sections import Item, Section

    where = (Acceptance.approver_id == user.id, Acceptance.state == AcceptanceState.PENDING)
    total = db.session.scalar(sa.select(sa.func.count(Acceptance.id)).where(*where))
    if not total:
        return None
    rows = db.session.execute(
        sa.select(
            Acceptance.id, Acceptance.expires_on, Acceptance.residual_band, Risk.id, Risk.ref, Risk.title
        )
        .join(Risk, Risk.id == Acceptance.risk_id)
        .where(*where)
        .order_by(Acceptance.id)
        .limit(MY_WORK_LIMIT)
    )
    matrix = scoring.matrix()
    items = [
        Item(
            label=f"{row.ref} {row.title}",
            url=url_for("risks.detail", risk_id=row[3]) + "#acceptance",
            detail=_(
                "%(band)s; until %(day)s",
                band=translate(matrix.band_by_key(row.residual_band).label),
                day=day(row.expires_on),
            ),
            action_label=_l("Approve or reject"),
        )
        for row in rows
    ]
    more = url_for("acceptances.list", state="pending", approver=user.id)
    return Section("acceptances_awaiting", _l("Acceptances awaiting my approval"), items, total, more)


def escalated_above_appetite(user: Any, on: date) -> Any:
    """For executives: live risks above their category's appetite with no open control and no
    active acceptance."""
    from riskreg.appetite import queries as appetite
    from riskreg.auth.models import Role
    from riskreg.me.sections import Item, Section, count_of

    if user.role is not Role.EXECUTIVE:
        return None
    ranks = appetite.ranks()
    if not ranks:
        return None
    where = (Risk.status.in_(appetite.LIVE), appetite.escalated_condition(ranks))
    total = count_of(sa.select(Risk.id).where(*where))
    if not total:
        return None
    rows = db.session.execute(
        sa.select(
            Risk.id,
            Risk.ref,
            Risk.title,
            Risk.category,
            Risk.residual_likelihood,
            Risk.residual_impact,
            Risk.direction,
        )
        .where(*where)
        .order_by(Risk.residual_band_rank.desc(), Risk.residual_score.desc(), Risk.id)
        .limit(MY_WORK_LIMIT)
    )
    matrix = scoring.matrix()
    items = [
        Item(
            label=f"{row.ref} {row.title}",
            url=url_for("risks.detail", risk_id=row.id),
            detail=_(
                "%(band)s in %(category)s (appetite: %(appetite)s)",
                band=translate(
                    matrix.band(row.residual_likelihood, row.residual_impact, row.direction).label
                ),
                category=translate(row.category),
                appetite=translate(matrix.bands[ranks[row.category]].label),
            ),
            action_label=_l("Open the risk"),
        )
        for row in rows
    ]
    more = url_for("risks.list", appetite="escalated")
    return Section(
        "escalated_above_appetite", _l("Above appetite without a plan or acceptance"), items, total, more
    )
