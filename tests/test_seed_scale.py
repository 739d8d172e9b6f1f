"""`flask seed scale`: deterministic synthetic data covering every direction, band and status."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg import scoring
from riskreg.controls.models import Control, ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Direction, Risk, RiskStatus


def fingerprint() -> list[tuple]:
    return db.session.execute(
        sa.select(Risk.ref, Risk.title, Risk.residual_likelihood, Risk.residual_impact, Risk.status).order_by(
            Risk.id
        )
    ).all()


def test_scale_covers_directions_bands_statuses_and_control_states(runner):
    result = runner.invoke(args=["seed", "scale", "--risks", "300", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "300 risks, 900 controls" in result.output
    risks = db.session.scalars(sa.select(Risk)).all()
    assert {r.direction for r in risks} == set(Direction)
    assert {r.status for r in risks} == set(RiskStatus)
    assert {r.residual_band.key for r in risks} == set(scoring.matrix().band_keys)
    assert all(r.residual_score == r.residual_likelihood * r.residual_impact for r in risks)
    controls = db.session.scalars(sa.select(Control)).all()
    assert {c.status for c in controls} == set(ControlStatus)
    assert any(c.is_overdue(today()) for c in controls)
    events = db.session.scalar(sa.text("SELECT count(*) FROM audit_events WHERE entity = 'risk'"))
    assert events == 3000


def test_same_seed_gives_the_same_register(runner, app):
    seeded = runner.invoke(args=["seed", "scale", "--risks", "50", "--seed", "11"])
    assert seeded.exit_code == 0, seeded.output
    first = fingerprint()
    assert len(first) == 50
    db.session.execute(sa.text("DELETE FROM risk_controls"))
    db.session.execute(sa.text("DELETE FROM audit_events"))
    db.session.execute(sa.text("DELETE FROM risks"))
    db.session.commit()
    again = runner.invoke(args=["seed", "scale", "--risks", "50", "--seed", "11"])
    assert again.exit_code == 0, again.output
    second = fingerprint()
    assert [row[1:] for row in first] == [row[1:] for row in second]


def test_refuses_a_database_with_real_data(runner, make_risk):
    make_risk()
    result = runner.invoke(args=["seed", "scale", "--risks", "10"])
    assert result.exit_code != 0 and "did not write" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 1
    forced = runner.invoke(args=["seed", "scale", "--risks", "10", "--allow-real-data"])
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 11


def test_bad_options_are_refused(runner):
    result = runner.invoke(args=["seed", "scale", "--risks", "0"])
    assert result.exit_code != 0 and "--risks" in result.output
