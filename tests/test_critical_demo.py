"""The demo's critical controls and bowties, and the issue's journey on them: the worst risk's
bowtie shows its critical controls and a failed verification; the verifying department's head
records a verification with one failed check; the risk is flagged, its owner told, and the
critical-controls page and the dashboard follow. Loading the demo twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.controls.models import Control
from riskreg.critical import services
from riskreg.critical.models import Verification
from riskreg.extensions import db
from riskreg.indicators.models import ReviewFlag
from riskreg.mail import OutboxMessage
from riskreg.risks.models import Risk, RiskCause
from riskreg.seeding.demo import demo_data
from tests.conftest import text_of

TAILINGS = "Tailings-area access control: fence, gate and patrols at the TSF"


def test_the_demo_journey(runner, login, smtp):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    db.session.rollback()
    critical = list(
        db.session.scalars(sa.select(Control).where(Control.critical.is_(True)).order_by(Control.id))
    )
    assert {c.title for c in critical} == {"VPSHR training for security personnel", TAILINGS}
    for control in critical:
        done = db.session.scalars(sa.select(Verification).where(Verification.control_id == control.id)).all()
        assert len(done) == 12
    failed = db.session.scalars(sa.select(Verification).where(Verification.result == "failed")).all()
    assert len(failed) == 1 and failed[0].immediate_action
    worst = db.session.scalar(sa.select(Risk).where(Risk.title.like("Violent confrontation%")))
    assert db.session.scalar(sa.select(sa.func.count(RiskCause.id)).where(RiskCause.risk_id == worst.id)) >= 3

    password = demo_data()["password"]
    executive = login(db.session.scalar(sa.select(User).where(User.email == "exec@example.com")), password)
    svg = executive.get(f"/risks/{worst.id}/bowtie.svg").get_data(as_text=True)
    assert svg.count("critical control") >= 2 and "last verification failed" in svg

    tailings = next(c for c in critical if c.title == TAILINGS)
    head = db.session.scalar(sa.select(User).where(User.email == "hse.head@example.com"))
    verifier = login(head, password)
    assert "Verifications due" in text_of(verifier.get("/me"))
    checks = [c.id for c in services.active_checks(services.standard_of(tailings))]
    data = {f"answer-{ident}": "pass" for ident in checks}
    data[f"answer-{checks[0]}"] = "fail"
    data |= {
        "immediate_action": "Breach closed, guard posted",
        "effectiveness": "ineffective",
        "findings": "Fence cut on the western side",
    }
    response = verifier.post(f"/controls/{tailings.id}/verifications/new", data=data)
    assert response.status_code == 302, text_of(response)

    db.session.rollback()
    flags = db.session.scalars(sa.select(ReviewFlag).where(ReviewFlag.reason.like(f"%{tailings.ref}%"))).all()
    assert {f.risk_id for f in flags} >= {worst.id}
    owner = db.session.get(User, worst.owner_id)
    assert db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "verification_failed", OutboxMessage.user_id == owner.id
        )
    )
    assert smtp.to(owner.email)
    page = text_of(executive.get("/controls/critical"))
    assert page.count("Failed") >= 3  # the chip, and both controls' last verification
    dash = executive.get("/dashboard").get_data(as_text=True)
    assert 'overdue">2</td>' in dash  # two failed critical controls on the dashboard panel
    board = dash.split('class="print-only board-bowties"')[1]  # the printed board pack
    assert board.count('<svg class="bowtie"') == 3 and f"Bowtie of {worst.ref}" in board

    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "Nothing to do" in second.output, second.output
