"""Risk services: create, update, archive and restore, each audited in the same transaction."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from riskreg import audit
from riskreg.audit import AuditEvent, history
from riskreg.extensions import db
from riskreg.risks import services
from riskreg.risks.models import Direction, Risk, RiskStatus


def events(risk_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "risk", AuditEvent.entity_id == risk_id)
            .order_by(AuditEvent.id)
        )
    )


def test_create_assigns_a_ref_scores_and_an_audit_event(make_risk):
    risk = make_risk(inherent_likelihood=4, inherent_impact=5, residual_likelihood=2, residual_impact=5)
    assert risk.ref == f"R-{risk.id:04d}"
    assert (risk.inherent_score, risk.residual_score) == (20, 10)
    [created] = events(risk.id)
    assert created.action == "create"
    assert created.changes["title"] == [None, risk.title]
    assert created.changes["residual_impact"] == [None, 5]


def test_update_records_each_changed_field_old_and_new(make_risk, users):
    risk = make_risk()
    risk.residual_assessed_at = datetime(2026, 1, 5, 9, 30)
    db.session.commit()
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    data.update(title="Encroachment on the north lease", residual_likelihood=2)
    changes = services.update_risk(risk, data, users["risk_manager"], risk.version)
    db.session.commit()
    assert changes == {
        "title": ["ASM encroachment on the northern lease", "Encroachment on the north lease"],
        "residual_likelihood": [3, 2],
        "residual_assessed_at": ["2026-01-05T09:30:00", audit.plain(risk.residual_assessed_at)],
    }
    assert risk.residual_assessed_at > datetime(2026, 1, 5, 9, 30)
    assert risk.residual_score == 6
    update, review = events(risk.id)[-2:]  # a score change is also a reassessment (riskreg.reviews)
    assert update.action == "update" and update.changes == changes
    assert update.actor_id == users["risk_manager"].id
    assert review.action == "review" and review.note == "Reassessed: residual likelihood 3 → 2."


def test_update_with_nothing_changed_writes_no_event(make_risk, users):
    risk = make_risk()
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    assert services.update_risk(risk, data, users["risk_manager"], risk.version) == {}
    db.session.commit()
    assert len(events(risk.id)) == 1


def test_stale_version_raises_conflict_and_changes_nothing(make_risk, users):
    risk = make_risk()
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS} | {"title": "Mine"}
    with pytest.raises(services.RiskConflict):
        services.update_risk(risk, data, users["risk_manager"], risk.version - 1 if risk.version > 1 else 99)
    db.session.rollback()
    assert db.session.get(Risk, risk.id).title == "ASM encroachment on the northern lease"


def test_an_update_without_the_version_it_was_based_on_is_refused(make_risk, users):
    """Without a version nothing can tell that someone saved in between: never "no check"."""
    risk = make_risk()
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS} | {"title": "Mine"}
    with pytest.raises(TypeError, match="expected_version"):
        services.update_risk(risk, data, users["risk_manager"], None)
    db.session.rollback()
    assert db.session.get(Risk, risk.id).title == "ASM encroachment on the northern lease"
    assert len(events(risk.id)) == 1


def test_version_column_catches_a_concurrent_write(app, make_risk, users):
    """Two sessions load the same risk; the second flush finds the row moved on."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    risk = make_risk()
    with Session(db.engine) as first, Session(db.engine, expire_on_commit=False) as second:
        b = second.get(Risk, risk.id)
        second.commit()  # b keeps the version it was read at, as an open edit form does
        a = first.get(Risk, risk.id)
        a.title = "First writer"
        first.commit()
        b.title = "Second writer"
        with pytest.raises(StaleDataError):
            second.commit()
    db.session.rollback()
    assert db.session.get(Risk, risk.id).title == "First writer"


def test_archive_and_restore_return_to_the_previous_status(make_risk, users):
    risk = make_risk(status=RiskStatus.DRAFT)
    services.archive_risk(risk, users["risk_manager"], "Merged into R-0002")
    db.session.commit()
    assert risk.status is RiskStatus.ARCHIVED
    with pytest.raises(services.RiskRuleError):
        services.archive_risk(risk, users["risk_manager"])
    services.restore_risk(risk, users["admin"])
    db.session.commit()
    assert risk.status is RiskStatus.DRAFT
    actions = [(e.action, e.changes.get("status"), e.note) for e in events(risk.id)]
    assert actions[1:] == [
        ("archive", ["draft", "archived"], "Merged into R-0002"),
        ("restore", ["archived", "draft"], ""),
    ]
    assert db.session.get(Risk, risk.id) is not None  # never deleted


def test_history_is_newest_first_with_actor(make_risk, users):
    risk = make_risk()
    services.archive_risk(risk, users["admin"])
    db.session.commit()
    trail = history("risk", risk.id)
    assert [e.action for e in trail] == ["archive", "create"]
    assert trail[0].actor.name == users["admin"].name


def test_a_failed_change_leaves_no_audit_event(make_risk, users):
    risk = make_risk()
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    data.update(title="x", residual_likelihood=9)
    with pytest.raises(ValueError, match="from 1 to 5"):
        services.update_risk(risk, data, users["risk_manager"], risk.version)
        db.session.commit()
    db.session.rollback()
    assert len(events(risk.id)) == 1
    assert db.session.get(Risk, risk.id).title != "x"


def test_people_risk_band_uses_the_people_first_rule(make_risk):
    risk = make_risk(
        direction=Direction.TO_ASM,
        inherent_likelihood=1,
        inherent_impact=5,
        residual_likelihood=1,
        residual_impact=5,
    )
    assert risk.residual_band.key == "high"


def test_database_refuses_out_of_range_levels_even_without_the_orm(make_risk):
    risk = make_risk()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Risk).where(Risk.id == risk.id).values(residual_likelihood=9))
    db.session.rollback()


def test_history_names_the_site_and_owner(make_risk, make_site, users):
    risk = make_risk()
    site = make_site(name="Nyota")
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    data.update(site_id=site.id, owner_id=users["executive"].id)
    changes = services.update_risk(risk, data, users["admin"], risk.version)
    assert changes == {
        "site": ["Corporate", "Nyota"],
        "owner": [users["risk_manager"].name, users["executive"].name],
    }


RESIDUAL_OVER_INHERENT = {
    "inherent_likelihood": 1,
    "inherent_impact": 1,
    "residual_likelihood": 5,
    "residual_impact": 5,
}


def test_create_refuses_a_residual_score_above_the_inherent_one(make_risk):
    with pytest.raises(services.RiskRuleError, match=r"residual score \(25\) cannot be higher") as caught:
        make_risk(**RESIDUAL_OVER_INHERENT)
    assert caught.value.field == "residual_impact"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "risk")) == 0


def test_update_refuses_a_residual_score_above_the_inherent_one(make_risk, users):
    risk = make_risk()
    version = risk.version
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS} | RESIDUAL_OVER_INHERENT
    with pytest.raises(services.RiskRuleError, match=r"inherent score \(1\)"):
        services.update_risk(risk, data, users["risk_manager"], risk.version)
    db.session.rollback()
    saved = db.session.get(Risk, risk.id)
    assert (saved.inherent_score, saved.residual_score, saved.version) == (16, 9, version)
    assert len(events(risk.id)) == 1


@pytest.mark.parametrize("level", [None, 0, 6, True, "3"])
def test_a_missing_or_bad_level_is_a_rule_error_naming_the_field(make_risk, level):
    with pytest.raises(services.RiskRuleError, match="from 1 to 5") as caught:
        make_risk(inherent_impact=level)
    assert caught.value.field == "inherent_impact"
