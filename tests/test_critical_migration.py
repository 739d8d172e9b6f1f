"""Migration 0010 keeps each risk's cause and consequence text as its first structured ones, and
its existing control links with no role said and the control's own effectiveness."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from riskreg.extensions import db
from tests.test_migrations import empty_database

NOW = "2026-11-30 10:00:00"


def test_upgrade_keeps_the_cause_and_consequence_of_a_risk(app):
    db.session.remove()
    empty_database()
    upgrade(revision="0006")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, role, active, password_hash, session_token, created_at) "
                "VALUES (1, 'o@example.com', 'Owner', 'risk_manager', true, 'x', 't', :now)"
            ),
            {"now": NOW},
        )
        risk = (
            "INSERT INTO risks (id, title, description, cause, consequence, direction, category, "
            "impact_area, owner_id, inherent_likelihood, inherent_impact, inherent_score, "
            "residual_likelihood, residual_impact, residual_score, treatment, status, residual_assessed_at, "
            "created_at, updated_at, version, inherent_band_rank, residual_band_rank) VALUES "
            "(:id, 'Tailings breach', '', :cause, :consequence, 'to_communities', 'Environment', "
            "'environment', 1, 3, 5, 15, 2, 5, 10, 'reduce', 'open', :now, :now, :now, 1, 3, 2)"
        )
        conn.execute(
            sa.text(risk), {"id": 1, "cause": "  Heavy rain  ", "consequence": "Village flooded", "now": NOW}
        )
        conn.execute(sa.text(risk), {"id": 2, "cause": "", "consequence": "", "now": NOW})
        conn.execute(
            sa.text("INSERT INTO departments (id, name, description, active) VALUES (99, 'Dams', '', true)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO controls (id, title, description, department_id, status, effectiveness, "
                "formalisation_support, closing_note, created_at, updated_at, version) VALUES "
                "(1, 'Piezometers read', '', 99, 'implemented', 'effective', false, '', :now, :now, 1)"
            ),
            {"now": NOW},
        )
        conn.execute(sa.text("INSERT INTO risk_controls (risk_id, control_id) VALUES (1, 1)"))

    upgrade()

    with db.engine.connect() as conn:
        causes = conn.execute(sa.text("SELECT risk_id, position, text FROM risk_causes")).all()
        consequences = conn.execute(sa.text("SELECT risk_id, position, text FROM risk_consequences")).all()
        link = conn.execute(
            sa.text("SELECT role, cause_id, consequence_id, effectiveness FROM risk_controls")
        ).one()
        kept = conn.execute(sa.text("SELECT cause, consequence FROM risks WHERE id = 1")).one()
        critical = conn.execute(sa.text("SELECT critical, critical_reason FROM controls")).one()
    assert [tuple(row) for row in causes] == [(1, 0, "Heavy rain")]
    assert [tuple(row) for row in consequences] == [(1, 0, "Village flooded")]
    assert tuple(link) == (None, None, None, None)  # no role or rating anybody gave
    assert tuple(kept) == ("  Heavy rain  ", "Village flooded")
    assert not critical[0] and critical[1] == ""
