"""The stored band ranks the register sorts by: kept by the ORM on every save, filled by the
migration for the risks already there, and recomputed by `flask risks rerank` after the matrix's
preset (or file) changes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from riskreg import scoring
from riskreg.extensions import db
from riskreg.risks import services
from riskreg.risks.models import Direction, Risk
from tests.test_migrations import empty_database


def ranks(risk_id: int) -> tuple[int, int]:
    db.session.expire_all()
    risk = db.session.get(Risk, risk_id)
    return risk.inherent_band_rank, risk.residual_band_rank


def rank_of(key: str) -> int:
    return scoring.matrix().band_by_key(key).rank


def test_saving_a_risk_stores_the_rank_of_each_band(make_risk, users):
    risk = make_risk(inherent_likelihood=3, inherent_impact=4, residual_likelihood=1, residual_impact=2)
    assert ranks(risk.id) == (rank_of("extreme"), rank_of("low"))
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    services.update_risk(
        risk, data | {"residual_likelihood": 2, "residual_impact": 4}, users["admin"], risk.version
    )
    db.session.commit()
    assert ranks(risk.id) == (rank_of("extreme"), rank_of("high"))


def test_rerank_follows_a_new_preset_and_touches_nothing_else(app, make_risk):
    app.config["MATRIX_PRESET"] = "cell_map"
    # cell map: 3 x 4 is Extreme, 1 x 5 is High; score thresholds: 12 is High, 5 is Medium
    twelve = make_risk(inherent_likelihood=3, inherent_impact=4, residual_likelihood=3, residual_impact=4)
    five = make_risk(inherent_likelihood=3, inherent_impact=4, residual_likelihood=1, residual_impact=5)
    asm = make_risk(
        direction=Direction.TO_ASM,
        inherent_likelihood=1,
        inherent_impact=5,
        residual_likelihood=1,
        residual_impact=5,
    )
    before = {r.id: (r.version, r.updated_at) for r in db.session.scalars(sa.select(Risk))}
    runner = app.test_cli_runner()
    assert runner.invoke(args=["risks", "rerank", "--check"]).exit_code == 0

    app.config["MATRIX_PRESET"] = "score_thresholds"
    check = runner.invoke(args=["risks", "rerank", "--check"])
    assert check.exit_code == 1 and "2 inherent, 2 residual" in check.output
    assert ranks(twelve.id) == (rank_of("extreme"), rank_of("extreme"))  # --check writes nothing

    result = runner.invoke(args=["risks", "rerank"])
    assert result.exit_code == 0 and "2 inherent, 2 residual" in result.output
    assert ranks(twelve.id) == (rank_of("high"), rank_of("high"))
    assert ranks(five.id) == (rank_of("high"), rank_of("medium"))
    assert ranks(asm.id) == (rank_of("high"), rank_of("high"))  # people-first: still High
    assert {r.id: (r.version, r.updated_at) for r in db.session.scalars(sa.select(Risk))} == before
    assert runner.invoke(args=["risks", "rerank", "--check"]).exit_code == 0


def test_the_migration_fills_the_ranks_of_the_risks_already_there(app):
    db.session.remove()
    empty_database()
    upgrade(revision="0002")
    now = datetime(2026, 1, 1)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, role, active, password_hash, session_token, "
                "failed_logins, created_at) "
                "VALUES (1, 'a@example.com', 'A', 'admin', true, 'x', 't', 0, :now)"
            ),
            {"now": now},
        )
        for risk_id, direction, residual in (
            (1, "to_company", (2, 5)),
            (2, "to_asm", (1, 5)),
            (3, "to_company", (1, 2)),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO risks (id, title, description, cause, consequence, direction, category, "
                    "impact_area, owner_id, inherent_likelihood, inherent_impact, inherent_score, "
                    "residual_likelihood, residual_impact, residual_score, treatment, status, "
                    "residual_assessed_at, created_at, updated_at, version) VALUES (:id, 't', '', '', '', "
                    ":direction, 'Environment', 'social', 1, 3, 4, 12, :lk, :im, :score, 'reduce', 'open', "
                    ":now, :now, :now, 1)"
                ),
                {
                    "id": risk_id,
                    "direction": direction,
                    "lk": residual[0],
                    "im": residual[1],
                    "score": residual[0] * residual[1],
                    "now": now,
                },
            )
    upgrade()
    matrix = scoring.matrix()
    assert ranks(1) == (rank_of("extreme"), matrix.band(2, 5, "to_company").rank)
    assert ranks(2) == (rank_of("extreme"), matrix.band(1, 5, "to_asm").rank)
    assert ranks(3) == (rank_of("extreme"), rank_of("low"))
