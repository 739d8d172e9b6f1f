"""Control services: refs, default owners, the status rules, audit on the control and its risks,
optimistic locking, and the residual-review rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from riskreg.auth.models import Role
from riskreg.controls import services
from riskreg.controls.models import Control, ControlNote, ControlStatus, Effectiveness, NoteKind
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk
from tests.conftest import department_id
from tests.controls_support import actions, events, fresh, legacy, new_control


@pytest.fixture
def head(users):
    return users["department_head"]  # Sam Security, head of Security


def test_create_sets_ref_default_owner_and_audits_on_both_trails(users, make_risk, head):
    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", risks=[risk], title="Boundary signage")
    assert control.ref == f"C-{control.id:04d}"
    assert control.owner_id == head.id  # the department's head, since none was chosen
    assert control.status is ControlStatus.PLANNED
    assert actions("control", control.id) == ["create", "link"]
    created = events("control", control.id)[0]
    assert created.changes["department"] == [None, "Security"]
    assert created.changes["owner"] == [None, "Sam Security"]
    risk_events = events("risk", risk.id)
    assert risk_events[-1].action == "link_control"
    assert risk_events[-1].changes == {"controls": [None, control.ref]}


def test_default_owner_skips_inactive_heads_and_other_roles(users, make_user):
    make_user(Role.DEPARTMENT_HEAD, department="Legal", active=False)
    active = make_user(Role.DEPARTMENT_HEAD, department="Legal")
    assert services.default_owner(department_id("Legal")) == active.id
    assert services.default_owner(department_id("Closure Planning")) is None


def test_owner_from_another_department_is_refused(users, make_user):
    legal_head = make_user(Role.DEPARTMENT_HEAD, department="Legal")
    with pytest.raises(services.ControlRuleError, match="another department") as error:
        new_control(users["risk_manager"], "Security", owner_id=legal_head.id)
    assert error.value.field == "owner_id"


def test_unknown_department_is_refused(users):
    data = {"title": "x", "department_id": 424242, "owner_id": None, "due_date": None}
    with pytest.raises(services.ControlRuleError, match="does not exist"):
        services.create_control(data, users["risk_manager"])


def test_update_records_readable_changes(users, head):
    control = new_control(users["risk_manager"], "Security")
    data = {
        "title": "Renamed",
        "description": "",
        "department_id": department_id("Legal"),
        "owner_id": users["risk_manager"].id,  # Legal has no head yet
        "due_date": date(2027, 1, 31),
        "formalisation_support": True,
    }
    due = control.due_date.isoformat()
    changes = services.update_control(control, data, users["risk_manager"], control.version)
    db.session.commit()
    assert changes["department"] == ["Security", "Legal"]
    assert changes["owner"] == ["Sam Security", "Rhea Risk"]
    assert changes["due_date"] == [due, "2027-01-31"]
    assert fresh(control.id).title == "Renamed"


def test_stale_version_is_a_conflict(users):
    control = new_control(users["risk_manager"])
    with pytest.raises(services.ControlConflict):
        services.start_control(control, users["risk_manager"], control.version - 1 or 99)


def test_the_life_of_a_control(users, head, make_risk):
    risk = make_risk()
    control = new_control(users["risk_manager"], risks=[risk])
    services.start_control(control, head, control.version)
    services.add_progress_note(control, "Posts ordered", head)
    services.close_control(control, "Signs installed on all 14 km", [], head, control.version)
    db.session.commit()
    control = fresh(control.id)
    assert control.status is ControlStatus.IMPLEMENTED and control.closed_by_id == head.id
    assert control.closing_note == "Signs installed on all 14 km" and control.closed_at is not None

    services.verify_control(
        control, Effectiveness.EFFECTIVE, "Walked the boundary", users["risk_manager"], control.version
    )
    db.session.commit()
    control = fresh(control.id)
    assert control.status is ControlStatus.VERIFIED and control.effectiveness is Effectiveness.EFFECTIVE

    services.reopen_control(control, "Signs removed by miners", users["risk_manager"], control.version)
    db.session.commit()
    control = fresh(control.id)
    assert control.status is ControlStatus.IN_PROGRESS
    assert control.closed_at is None and control.verified_at is None
    assert control.effectiveness is Effectiveness.NOT_ASSESSED

    services.cancel_control(control, "Replaced by fencing", users["risk_manager"], control.version)
    db.session.commit()
    assert actions("control", control.id) == [
        "create", "link", "start", "note", "close", "verify", "reopen", "cancel"
    ]  # fmt: skip
    kinds = [n.kind for n in db.session.scalars(sa.select(ControlNote).order_by(ControlNote.id))]
    assert kinds == [
        NoteKind.PROGRESS,
        NoteKind.CLOSING,
        NoteKind.VERIFICATION,
        NoteKind.REOPENED,
        NoteKind.PROGRESS,
    ]
    # The risk's trail shows what happened to its control.
    assert actions("risk", risk.id)[-4:] == [
        "control_implemented", "control_verified", "control_reopened", "control_cancelled"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "call", "message"),
    [
        (ControlStatus.IN_PROGRESS, "start", "cannot be started"),
        (ControlStatus.IMPLEMENTED, "close", "cannot be closed"),
        (ControlStatus.PLANNED, "verify", "only an implemented control"),
        (ControlStatus.PLANNED, "reopen", "cannot be reopened"),
        (ControlStatus.VERIFIED, "cancel", "cannot be cancelled"),
    ],
)
def test_status_rules(users, status, call, message):
    control = new_control(users["risk_manager"], status=status)
    actor = users["risk_manager"]
    calls = {
        "start": lambda: services.start_control(control, actor, control.version),
        "close": lambda: services.close_control(control, "note", [], actor, control.version),
        "verify": lambda: services.verify_control(
            control, Effectiveness.EFFECTIVE, "", actor, control.version
        ),
        "reopen": lambda: services.reopen_control(control, "why", actor, control.version),
        "cancel": lambda: services.cancel_control(control, "why", actor, control.version),
    }
    with pytest.raises(services.ControlRuleError, match=message):
        calls[call]()


@pytest.mark.parametrize("call", ["update", "start", "close", "verify", "reopen", "cancel"])
def test_a_change_without_the_version_it_was_based_on_is_refused(users, call):
    """Without a version nothing can tell that someone changed the control in between."""
    status = ControlStatus.IMPLEMENTED if call in ("verify", "reopen") else ControlStatus.PLANNED
    control = new_control(users["risk_manager"], status=status)
    actor = users["risk_manager"]
    data = {name: getattr(control, name) for name in services.EDITABLE_FIELDS} | {"title": "Mine"}
    calls = {
        "update": lambda: services.update_control(control, data, actor, None),
        "start": lambda: services.start_control(control, actor, None),
        "close": lambda: services.close_control(control, "note", [], actor, None),
        "verify": lambda: services.verify_control(control, Effectiveness.EFFECTIVE, "", actor, None),
        "reopen": lambda: services.reopen_control(control, "why", actor, None),
        "cancel": lambda: services.cancel_control(control, "why", actor, None),
    }
    with pytest.raises(TypeError, match="expected_version"):
        calls[call]()
    saved = fresh(control.id)
    assert (saved.title, saved.status) == ("Control for Security", status)


def test_required_texts(users):
    control = new_control(users["risk_manager"])
    actor = users["risk_manager"]
    with pytest.raises(services.ControlRuleError, match="closing note"):
        services.close_control(control, "   ", [], actor, control.version)
    with pytest.raises(services.ControlRuleError, match="progress note"):
        services.add_progress_note(control, "", actor)
    with pytest.raises(services.ControlRuleError, match="cancelled"):
        services.cancel_control(control, "", actor, control.version)
    control.status = ControlStatus.IMPLEMENTED
    with pytest.raises(services.ControlRuleError, match="Rate how effective"):
        services.verify_control(control, Effectiveness.NOT_ASSESSED, "", actor, control.version)


def test_concurrent_close_loses_to_the_first_writer(app, users, head):
    """Both loaded the same version; the other worker's close commits first; ours fails at flush
    (UPDATE ... WHERE version = loaded) and changes nothing."""
    control = new_control(users["risk_manager"])
    control_id, loaded_version = control.id, control.version  # loads the row
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()  # end our read transaction but keep what we loaded, as a page would
        with db.engine.begin() as other:
            other.execute(
                sa.update(Control)
                .where(Control.id == control.id)
                .values(status="implemented", closing_note="Theirs", version=Control.version + 1)
            )
        with pytest.raises(StaleDataError):
            services.close_control(control, "Mine", [], head, loaded_version)
    finally:
        session.expire_on_commit = True
    assert fresh(control_id).closing_note == "Theirs"


def test_link_twice_and_unlink_unlinked_are_refused(users, make_risk):
    risk = make_risk()
    control = new_control(users["risk_manager"], risks=[risk])
    control = db.session.scalar(
        sa.select(Control).where(Control.id == control.id).options(sa.orm.selectinload(Control.risks))
    )
    with pytest.raises(services.ControlRuleError, match="already mitigates"):
        services.link_control(control, risk, users["risk_manager"])
    services.unlink_control(control, risk, users["risk_manager"])
    db.session.commit()
    assert actions("risk", risk.id)[-1] == "unlink_control"
    control = db.session.scalar(
        sa.select(Control).where(Control.id == control.id).options(sa.orm.selectinload(Control.risks))
    )
    with pytest.raises(services.ControlRuleError, match="does not mitigate"):
        services.unlink_control(control, db.session.get(Risk, risk.id), users["risk_manager"])


def _risk_with_controls(risk_id: int) -> Risk:
    from riskreg.risks.queries import risk_with_links

    db.session.rollback()
    db.session.expire_all()
    return risk_with_links(risk_id)


def test_residual_review_is_due_once_every_counted_control_is_done(users, head, make_risk):
    risk = make_risk()
    assert not services.residual_review_due(_risk_with_controls(risk.id))  # no controls
    first = new_control(users["risk_manager"], risks=[risk])
    second = new_control(users["risk_manager"], risks=[risk])
    third = new_control(users["risk_manager"], risks=[risk])
    services.cancel_control(third, "Not needed", users["risk_manager"], third.version)
    services.close_control(first, "Done", [], head, first.version)
    db.session.commit()
    assert not services.residual_review_due(_risk_with_controls(risk.id))  # second is still open
    services.close_control(second, "Done too", [], head, second.version)
    db.session.commit()
    assert services.residual_review_due(_risk_with_controls(risk.id))

    risk_services.confirm_residual(_risk_with_controls(risk.id), users["risk_manager"])
    db.session.commit()
    assert not services.residual_review_due(_risk_with_controls(risk.id))

    # A verification after the reassessment raises the flag again.
    first = fresh(first.id)
    services.verify_control(
        first, Effectiveness.PARTIALLY_EFFECTIVE, "", users["risk_manager"], first.version
    )
    db.session.commit()
    assert services.residual_review_due(_risk_with_controls(risk.id))


def test_controls_closed_before_the_last_assessment_do_not_flag(users, make_risk):
    risk = make_risk()
    control = new_control(
        users["risk_manager"],
        risks=[risk],
        status=ControlStatus.IMPLEMENTED,
        closed_at=utcnow() - timedelta(days=30),
    )
    assert control.status is ControlStatus.IMPLEMENTED
    assert not services.residual_review_due(_risk_with_controls(risk.id))


def test_overdue_is_computed(users):
    control = new_control(users["risk_manager"], due_date=date.today() - timedelta(days=3))
    assert control.is_overdue(date.today()) and control.days_overdue(date.today()) == 3
    control.status = ControlStatus.IMPLEMENTED
    assert not control.is_overdue(date.today())


def test_overdue_and_due_soon_mean_the_same_in_sql_and_on_a_loaded_control(users):
    on = date.today()
    dues = (on - timedelta(days=1), on, on + timedelta(days=14), on + timedelta(days=15), None)
    made = [
        new_control(users["risk_manager"], title=f"{status.value} {due}", status=status, due_date=due)
        if due is not None
        else legacy(
            new_control(users["risk_manager"], title=f"{status.value} undated", status=status), due_date=None
        )
        for status in ControlStatus
        for due in dues
    ]
    db.session.commit()
    in_sql = dict(
        db.session.execute(
            sa.select(Control.id, Control.is_overdue(on)).where(Control.id.in_([c.id for c in made]))
        ).all()
    )
    soon_in_sql = set(
        db.session.scalars(
            sa.select(Control.id).where(Control.id.in_([c.id for c in made]), Control.is_due_within(on, 14))
        )
    )
    assert {c.id: c.is_overdue(on) for c in made} == {k: bool(v) for k, v in in_sql.items()}
    assert {c.id for c in made if c.is_due_within(on, 14)} == soon_in_sql
    overdue = {(c.status, c.due_date) for c in made if c.is_overdue(on)}
    assert overdue == {
        (s, on - timedelta(days=1)) for s in (ControlStatus.PLANNED, ControlStatus.IN_PROGRESS)
    }
    assert len(soon_in_sql) == 4  # open, due today or in 14 days; not tomorrow+14, not undated
