"""risk_cover and the kept appetite counts stay true whoever writes, and the dashboard's "Above
appetite" read from them equals the count over the risks it replaced."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from riskreg.acceptances.models import Acceptance, AcceptanceState
from riskreg.appetite import cover, queries
from riskreg.appetite import services as appetite_services
from riskreg.appetite.models import RiskCover
from riskreg.controls.models import OPEN_CONTROL_STATUSES, Control, ControlStatus, risk_controls
from riskreg.dashboard import counts
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import services
from riskreg.risks.models import Direction, Risk, RiskStatus
from riskreg.seeding import scale


def panel_over_the_risks() -> dict[str, Any]:
    """The panel's figures counted over the risks themselves, with the rule's own SQL (what
    queries.panel read before the kept counts)."""
    ranks = queries.ranks()
    escalated = sa.case((~queries.covered_condition(), 1), else_=0)
    rows = db.session.execute(
        sa.select(Risk.category, Risk.direction, sa.func.count(), sa.func.sum(escalated))
        .where(Risk.status.in_(queries.LIVE), queries.above_condition(ranks))
        .group_by(Risk.category, Risk.direction)
    ).all()
    per_category: Counter[str] = Counter()
    escalated_per_category: Counter[str] = Counter()
    per_direction: Counter[Direction] = Counter()
    for category, direction, count, escalated_count in rows:
        per_category[category] += count
        escalated_per_category[category] += int(escalated_count or 0)
        per_direction[direction] += count
    return {
        "categories": {c: (n, escalated_per_category[c]) for c, n in per_category.items()},
        "directions": [(d, per_direction[d]) for d in Direction],
        "total": sum(per_category.values()),
        "escalated": sum(escalated_per_category.values()),
    }


def panel_from_the_counts() -> dict[str, Any]:
    found = queries.panel()
    return {
        "categories": {c: (n, escalated) for c, _, n, escalated in found["categories"]},
        "directions": found["directions"],
        "total": found["total"],
        "escalated": found["escalated"],
    }


def check(step: str) -> None:
    assert counts.differences() == 0, f"after {step}"
    assert panel_from_the_counts() == panel_over_the_risks(), f"after {step}"


def acceptance(risk: Risk, approver: int, state: AcceptanceState) -> Acceptance:
    return Acceptance(
        risk_id=risk.id,
        state=state,
        justification="Carried for now",
        residual_score=risk.residual_score,
        residual_band="high",
        expires_on=today() + timedelta(days=90),
        approver_id=approver,
    )


def link(risk_id: int, control_id: int) -> None:
    linked = sa.select(risk_controls).where(
        risk_controls.c.risk_id == risk_id, risk_controls.c.control_id == control_id
    )
    if db.session.execute(linked).first() is None:
        db.session.execute(sa.insert(risk_controls), {"risk_id": risk_id, "control_id": control_id})


def test_kept_coverage_and_counts_follow_every_writer(users):
    rnd = random.Random(41)
    actor, approver = users["risk_manager"], users["executive"].id
    scale.seed_scale(
        scale.ScaleOptions(risks=60, sites=2, users=3, audit_events_per_risk=1), allow_real_data=True
    )
    appetite_services.load_seed()
    db.session.commit()
    check("the scale seed")
    held = db.session.scalar(sa.select(sa.func.count()).select_from(RiskCover))
    assert 0 < held < db.session.scalar(sa.select(sa.func.count(Risk.id)))  # some covered, some not
    assert panel_over_the_risks()["total"] > 0
    escalated_seen = set()

    for step in range(70):
        risks = list(db.session.scalars(sa.select(Risk).order_by(Risk.id)))
        controls = list(db.session.scalars(sa.select(Control).order_by(Control.id)))
        risk, control = rnd.choice(risks), rnd.choice(controls)
        action = step % 10
        if action == 0:  # a control linked (an open one covers the risk)
            link(risk.id, control.id)
        elif action == 1:  # every link of a risk removed
            db.session.execute(sa.delete(risk_controls).where(risk_controls.c.risk_id == risk.id))
        elif action == 2:  # a control's status through the ORM
            control.status = rnd.choice(list(ControlStatus))
        elif action == 3:  # many controls at once (one statement): open ones closed, or reopened
            chosen = [c.id for c in rnd.sample(controls, 12)]
            status = rnd.choice([ControlStatus.IMPLEMENTED, ControlStatus.PLANNED, ControlStatus.CANCELLED])
            db.session.execute(
                sa.update(Control)
                .where(Control.id.in_(chosen))
                .values(status=status)
                .execution_options(synchronize_session=False)
            )
        elif action == 4:  # an acceptance asked, then approved
            asked = acceptance(risk, approver, AcceptanceState.PENDING)
            db.session.add(asked)
            db.session.flush()
            asked.state = AcceptanceState.ACTIVE
        elif action == 5:  # acceptances ending (expired, voided) or gone
            for found in db.session.scalars(
                sa.select(Acceptance).where(Acceptance.state == AcceptanceState.ACTIVE)
            ):
                if rnd.random() < 0.5:
                    found.state = rnd.choice([AcceptanceState.EXPIRED, AcceptanceState.VOIDED])
            gone = db.session.scalars(sa.select(Acceptance.id).limit(1)).first()
            if gone is not None:
                db.session.execute(sa.delete(Acceptance).where(Acceptance.id == gone))
        elif action == 6 and risk.editable:  # the risk itself moves: category, residual score, status
            change = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
            change |= {
                "category": rnd.choice(sorted(queries.ranks())),
                "residual_likelihood": rnd.randint(1, risk.inherent_likelihood),
                "residual_impact": rnd.randint(1, risk.inherent_impact),
                "status": rnd.choice([RiskStatus.OPEN, RiskStatus.DRAFT, RiskStatus.CLOSED]),
            }
            services.update_risk(risk, change, actor, risk.version)
        elif action == 7:  # a risk archived (no longer live) or restored
            if risk.status is RiskStatus.ARCHIVED:
                services.restore_risk(risk, actor)
            else:
                services.archive_risk(risk, actor, "test")
        elif action == 8:  # a covered risk deleted outright (no writer does today; the counts must not care)
            covered = db.session.scalars(sa.select(RiskCover.risk_id).limit(1)).first()
            if covered is not None:
                db.session.execute(sa.delete(Acceptance).where(Acceptance.risk_id == covered))
                db.session.execute(sa.delete(Risk).where(Risk.id == covered))
        else:  # a control deleted: its links go with it
            db.session.execute(sa.delete(Control).where(Control.id == control.id))
        db.session.flush()
        if rnd.random() < 0.15:
            db.session.rollback()  # given up: coverage and counts go with it
        else:
            db.session.commit()
        db.session.expire_all()
        check(f"step {step} (action {action})")
        escalated_seen.add(panel_over_the_risks()["escalated"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskCover))
    assert len(escalated_seen) > 3 and max(escalated_seen) > 0  # the escalated count moved, both ways


def test_a_control_closing_uncovers_its_risks_and_an_approval_covers_them_again(users, make_risk):
    appetite_services.set_appetites({"Health & Safety": "low"}, users["admin"])
    risk = make_risk(
        category="Health & Safety",
        inherent_likelihood=5,
        inherent_impact=5,
        residual_likelihood=5,
        residual_impact=5,
    )
    department = db.session.scalars(sa.select(Department.id).order_by(Department.id)).first()
    control = Control(title="Berm", description="", department_id=department, status=ControlStatus.PLANNED)
    db.session.add(control)
    db.session.flush()
    link(risk.id, control.id)
    db.session.commit()
    assert db.session.get(RiskCover, risk.id) is not None
    assert queries.panel()["escalated"] == 0 and queries.panel()["total"] == 1

    control.status = ControlStatus.IMPLEMENTED  # the plan is carried out: no open control is left
    db.session.commit()
    assert db.session.get(RiskCover, risk.id) is None
    assert queries.panel()["escalated"] == 1

    db.session.add(acceptance(risk, users["executive"].id, AcceptanceState.ACTIVE))
    db.session.commit()
    assert db.session.get(RiskCover, risk.id) is not None
    assert queries.panel()["escalated"] == 0
    assert control.status not in OPEN_CONTROL_STATUSES
    check("the end")


def test_the_recount_repairs_risk_cover(users, make_risk):
    make_risk()
    stray = make_risk()
    db.session.commit()
    db.session.execute(sa.insert(RiskCover), {"risk_id": stray.id})  # a row no rule put there
    assert cover.differences(db.session.connection()) == 1 and counts.differences() >= 1
    assert counts.recount() >= 1
    assert counts.differences() == 0 and db.session.get(RiskCover, stray.id) is None


def test_two_writers_changing_one_risks_coverage_at_once_leave_it_true(app, users, make_risk):
    """One transaction links an open control to a risk and holds it open; meanwhile another closes
    the risk's only other open control. Each alone decides from a snapshot without the other's
    change: the second must wait for the first (PostgreSQL: the risk's row lock; SQLite: the write
    lock) and leave the risk covered, as it is."""
    department = db.session.scalars(sa.select(Department.id).order_by(Department.id)).first()
    risk = make_risk()
    first, second = (
        Control(title=title, description="", department_id=department, status=ControlStatus.PLANNED)
        for title in ("Patrols", "Berm")
    )
    db.session.add_all([first, second])
    db.session.flush()
    link(risk.id, first.id)
    db.session.commit()
    risk_id, first_id, second_id = risk.id, first.id, second.id
    outcome: dict[str, object] = {}

    def close_the_first() -> None:
        with app.app_context():
            try:
                db.session.execute(
                    sa.update(Control).where(Control.id == first_id).values(status=ControlStatus.IMPLEMENTED)
                )
                db.session.commit()
                outcome["done"] = True
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                outcome["error"] = error
            finally:
                db.session.remove()

    with app.app_context():
        link(risk_id, second_id)  # written, not committed
        other = threading.Thread(target=close_the_first)
        other.start()
        time.sleep(0.5)  # let it reach the lock
        db.session.commit()
        db.session.remove()
    other.join(30)
    assert outcome == {"done": True}
    assert db.session.get(RiskCover, risk_id) is not None  # the second control is open
    check("two writers at once")
