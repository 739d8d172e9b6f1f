"""The bulk path of the risk services (the import's): the same rules, stored values and audit events
as create_risk and update_risk, in a number of statements that does not grow with the rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.risks import bulk, services
from riskreg.risks.models import (
    Direction,
    ImpactArea,
    Risk,
    RiskStatus,
    Treatment,
    format_ref,
    ref_expression,
)
from riskreg.standards import links
from tests.asm_helpers import load_catalogue
from tests.conftest import statements

SKIP = {"id", "ref", "created_at", "updated_at", "residual_assessed_at"}


def data(**over: Any) -> dict[str, Any]:
    values = {name: None for name in services.EDITABLE_FIELDS}
    values |= {
        "title": "Pits opened inside the lease",
        "description": "Seen from the haul road.",
        "cause": "",
        "consequence": "",
        "direction": Direction.TO_ASM,
        "category": "Land Access & Tenure",
        "impact_area": ImpactArea.SOCIAL,
        "inherent_likelihood": 4,
        "inherent_impact": 5,
        "residual_likelihood": 2,
        "residual_impact": 5,
        "treatment": Treatment.REDUCE,
        "status": RiskStatus.OPEN,
    }
    return values | over


@pytest.fixture
def names(users, make_site) -> bulk.Names:
    site = make_site(name="Nyota")
    return bulk.Names(sites={site.id: site.name}, owners={u.id: u.name for u in users.values()})


def row_of(risk: Risk) -> dict[str, Any]:
    return {c.key: getattr(risk, c.key) for c in Risk.__table__.columns if c.key not in SKIP}


def events_of(risk_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "risk", AuditEvent.entity_id == risk_id)
            .order_by(AuditEvent.id)
        )
    )


def test_bulk_create_stores_and_audits_what_create_risk_does(users, names):
    actor, owner = users["risk_manager"], users["executive"].id
    site = next(iter(names.sites))
    one = services.create_risk(data(owner_id=owner, site_id=site), actor)
    db.session.commit()
    [rid] = bulk.create_risks([data(owner_id=owner, site_id=site)], actor, names, note="From file.xlsx")
    db.session.commit()
    many = db.session.get(Risk, rid)
    assert many.ref == format_ref("R", rid) and (many.inherent_score, many.residual_score) == (20, 10)
    assert row_of(many) == row_of(one)  # scores, version, creator, defaults: the same row
    [single_event], [bulk_event] = events_of(one.id), events_of(rid)
    assert bulk_event.changes["ref"] == [None, many.ref] and bulk_event.changes["site"] == [None, "Nyota"]
    assert {k: v for k, v in bulk_event.changes.items() if k != "ref"} == {
        k: v for k, v in single_event.changes.items() if k != "ref"
    }
    assert (bulk_event.action, bulk_event.actor_id, bulk_event.note) == ("create", actor.id, "From file.xlsx")


def test_bulk_update_changes_audits_and_versions_as_update_risk_does(make_risk, users, names):
    actor = users["admin"]
    one, two = make_risk(), make_risk()
    for risk in (one, two):
        risk.residual_assessed_at = datetime(2026, 1, 5, 9, 30)
    db.session.commit()
    edit = {"title": "Renamed", "residual_likelihood": 1, "owner_id": users["executive"].id}
    expected = services.update_risk(one, {**services.prepare_values(row_of(one)), **edit}, actor, one.version)
    db.session.commit()
    version = two.version
    changed = bulk.update_risks([bulk.Edit(two, version, {**row_of(two), **edit})], actor, names, "f.xlsx")
    db.session.commit()
    assert changed == 1
    assert (two.title, two.residual_score, two.version, two.owner_id) == (
        "Renamed",
        3,
        version + 1,
        edit["owner_id"],
    )
    assert two.residual_assessed_at > datetime(2026, 1, 5, 9, 30)
    got = events_of(two.id)[-1].changes
    assert got.keys() == expected.keys() == {"title", "residual_likelihood", "owner", "residual_assessed_at"}
    assert got["owner"] == [users["risk_manager"].name, users["executive"].name]
    assert {k: v for k, v in got.items() if k != "residual_assessed_at"} == {
        k: v for k, v in expected.items() if k != "residual_assessed_at"
    }


def test_the_services_rules_hold_in_bulk(make_risk, users, names, monkeypatch):
    """The bulk path calls the services' own rules: a rule added there holds here with no copy."""
    risk = make_risk()
    half_target = data(owner_id=users["admin"].id, target_likelihood=2)
    with pytest.raises(services.RiskRuleError, match="both a target likelihood"):
        bulk.create_risks([half_target], users["admin"], names)
    with pytest.raises(services.RiskRuleError, match="Archive button"):
        bulk.update_risks(
            [bulk.Edit(risk, risk.version, row_of(risk) | {"status": RiskStatus.ARCHIVED})],
            users["admin"],
            names,
        )

    def new_rule(values):
        raise services.RiskRuleError("title", "A rule added to check_rules.")

    monkeypatch.setattr(services, "check_rules", new_rule)
    with pytest.raises(services.RiskRuleError, match="added to check_rules"):
        bulk.create_risks([data(owner_id=users["admin"].id)], users["admin"], names)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 1


def test_a_risk_that_moved_on_is_a_conflict_and_nothing_is_written(make_risk, users, names):
    first, moved = make_risk(), make_risk()
    seen = moved.version
    services.update_risk(moved, row_of(moved) | {"title": "Meanwhile"}, users["admin"], seen)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    edits = [
        bulk.Edit(r, v, row_of(r) | {"title": "From the file"})
        for r, v in ((first, first.version), (moved, seen))
    ]
    with pytest.raises(services.RiskConflict):
        bulk.update_risks(edits, users["admin"], names)
    db.session.rollback()
    assert {r.title for r in db.session.scalars(sa.select(Risk))} == {first.title, "Meanwhile"}
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_the_update_checks_the_version_in_its_where_clause(make_risk, users, names, monkeypatch):
    """Were a row to move on between the check and the write, the UPDATE matches no row and says so."""
    risk = make_risk()
    seen = risk.version
    db.session.execute(sa.update(Risk.__table__).where(Risk.id == risk.id).values(version=seen + 5))
    monkeypatch.setattr(bulk, "_lock_and_check", lambda edits: None)
    with pytest.raises(StaleDataError):
        bulk.update_risks([bulk.Edit(risk, seen, row_of(risk) | {"title": "Late"})], users["admin"], names)


def test_requirement_links_in_bulk(app, users, names, make_risk):
    load_catalogue()
    risk = make_risk()
    [rid] = bulk.create_risks(
        [data(owner_id=users["admin"].id, requirements=["IRMA-3.6"])], users["admin"], names
    )
    bulk.update_risks(
        [bulk.Edit(risk, risk.version, row_of(risk) | {"requirements": ["RJC-COP-35"]})],
        users["admin"],
        names,
    )
    db.session.commit()
    assert links.linked_codes("risk", rid) == ["IRMA-3.6"] and links.linked_codes("risk", risk.id) == [
        "RJC-COP-35"
    ]
    assert events_of(rid)[-1].changes["requirements"] == [None, ["IRMA-3.6"]]
    assert events_of(risk.id)[-1].changes == {"requirements": [[], ["RJC-COP-35"]]}
    assert db.session.get(Risk, risk.id).version == 2 + 1  # the link moved the risk's version on


@pytest.mark.parametrize("rows", [10, 120])
def test_statements_do_not_grow_with_the_rows(make_risk, users, names, rows):
    existing = [make_risk() for _ in range(rows)]
    edits = [bulk.Edit(r, r.version, row_of(r) | {"title": f"Renamed {r.id}"}) for r in existing]
    new = [data(owner_id=users["admin"].id, title=f"New {n}") for n in range(rows)]
    with statements(sql_only=True) as sent:
        bulk.update_risks(edits, users["admin"], names)
        bulk.create_risks(new, users["admin"], names)
    db.session.commit()
    # lock + check, one UPDATE, the events; the actor reloaded, INSERT, refs, the events
    assert len(sent) == 7, sent
    assert db.session.scalar(sa.select(sa.func.count(Risk.id)).where(Risk.title.like("Renamed %"))) == rows


def test_refs_set_in_sql_are_format_ref(app):
    for number in (1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456):
        assert db.session.scalar(sa.select(ref_expression("R", sa.literal(number)))) == format_ref(
            "R", number
        )
