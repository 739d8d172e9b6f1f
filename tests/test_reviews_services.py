"""Reviews at the service level: a row for every review (with the scores at the time), the next
review date rolled forward by the band's cadence, the History event, the due/overdue rule and the
places that use it (register filter, dashboard figure, export counts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg import audit
from riskreg.dashboard import queries as dashboard_queries
from riskreg.exports import queries as export_queries
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.reviews import rules, services
from riskreg.reviews.models import ReviewKind, RiskReview
from riskreg.risks import services as risk_services
from riskreg.risks.filters import RiskFilters
from riskreg.risks.models import Risk, RiskStatus


def reviews_of(risk: Risk) -> list[RiskReview]:
    return list(db.session.scalars(sa.select(RiskReview).where(RiskReview.risk_id == risk.id)))


def reviewed_on(risk: Risk, when) -> Risk:
    risk.next_review_date = when
    db.session.commit()
    return risk


def test_reviewed_no_change_without_flags_is_a_review_row_with_the_scores_and_the_next_date(make_risk, users):
    risk = reviewed_on(make_risk(residual_likelihood=3, residual_impact=3), today() - timedelta(days=3))
    before = risk.next_review_date
    with pytest.raises(services.ReviewError, match="Say in a note"):
        services.record_review(risk, ReviewKind.NO_CHANGE, "   ", users["department_head"])
    record = services.record_review(risk, ReviewKind.NO_CHANGE, "Fences hold", users["department_head"])
    db.session.commit()
    assert (record.kind, record.note, record.by_id) == (
        ReviewKind.NO_CHANGE,
        "Fences hold",
        users["department_head"].id,
    )
    assert (record.inherent_score, record.residual_score) == (16, 9)
    cadence = risk.residual_band.review_days
    assert record.next_review_before == before
    assert risk.next_review_date == record.next_review_after == today() + timedelta(days=cadence)
    event = audit.history("risk", risk.id)[0]
    assert event.action == "review" and event.note == "Reviewed, no change: Fences hold."
    assert event.changes["next_review_date"] == [before.isoformat(), risk.next_review_date.isoformat()]


def test_an_assessment_change_is_a_reassessment_review_even_without_flags(make_risk, users):
    risk = make_risk()
    data = {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(risk, {**data, "title": "Renamed"}, users["risk_manager"], risk.version)
    db.session.commit()
    assert reviews_of(risk) == []  # a title is no reassessment
    data = {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(risk, {**data, "residual_impact": 2}, users["risk_manager"], risk.version)
    db.session.commit()
    [review] = reviews_of(risk)
    assert review.kind is ReviewKind.REASSESSED and review.note == "residual impact 3 → 2"
    assert review.residual_score == 6  # the score after the reassessment


def test_reassessed_through_the_form_without_changes_is_recorded_once(make_risk, users):
    risk = make_risk()
    assert services.reassessed_through_form(risk, {}, users["risk_manager"]) is not None
    # The edit's own assessment change already recorded it: not twice.
    assert (
        services.reassessed_through_form(risk, {"treatment": ["reduce", "accept"]}, users["risk_manager"])
        is None
    )
    db.session.commit()
    assert [r.kind for r in reviews_of(risk)] == [ReviewKind.REASSESSED]


def test_an_archived_risk_is_not_reviewed_and_only_the_owner_or_an_editor_may(make_risk, users):
    risk = make_risk(owner_id=users["department_head"].id)
    assert services.can_review(users["department_head"], risk)  # the owner
    assert services.can_review(users["risk_manager"], risk)
    assert not services.can_review(users["executive"], risk)
    risk_services.archive_risk(risk, users["risk_manager"])
    db.session.commit()
    assert not services.can_review(users["risk_manager"], risk)
    with pytest.raises(services.ReviewError, match="archived"):
        services.record_review(risk, ReviewKind.NO_CHANGE, "Still fine", users["risk_manager"])


def test_due_and_overdue_are_one_rule_with_its_edges(make_risk):
    on = today()
    risks = {
        "yesterday": reviewed_on(make_risk(title="Yesterday"), on - timedelta(days=1)),
        "today": reviewed_on(make_risk(title="Today"), on),
        "in 7": reviewed_on(make_risk(title="In seven"), on + timedelta(days=7)),
        "in 8": reviewed_on(make_risk(title="In eight"), on + timedelta(days=8)),
        "closed": reviewed_on(make_risk(title="Closed", status=RiskStatus.CLOSED), on - timedelta(days=9)),
    }
    states = {name: rules.state_of(risk, on) for name, risk in risks.items()}
    assert states == {"yesterday": "overdue", "today": "due", "in 7": "due", "in 8": None, "closed": None}
    for state in ("due", "overdue"):
        found = set(db.session.scalars(sa.select(Risk.title).where(rules.condition(state, on))))
        assert found == {risks[name].title for name, s in states.items() if s == state}
    # The dashboard's "past review" figure counts exactly the register's review=overdue.
    assert dashboard_queries.review_overdue(RiskFilters(), on) == 1


def test_the_export_counts_each_risks_reviews_and_the_last_one(make_risk, users):
    reviewed, never = make_risk(title="Reviewed"), make_risk(title="Never")
    services.record_review(reviewed, ReviewKind.NO_CHANGE, "One", users["risk_manager"])
    services.record_review(reviewed, ReviewKind.NO_CHANGE, "Two", users["risk_manager"])
    db.session.commit()
    rows = {row["title"]: row for row in export_queries.register_rows(RiskFilters(), today())}
    assert (rows["Reviewed"]["reviews"], rows["Reviewed"]["last_review"]) == (2, today())
    assert (rows["Never"]["reviews"], rows["Never"]["last_review"]) == (0, None)
    assert set(rows) >= {reviewed.title, never.title}
    due = {row["title"] for row in export_queries.register_rows(RiskFilters(review="due"), today())}
    assert due == set()  # both were just given dates a cadence ahead


def test_my_work_lists_the_owners_risks_due_overdue_or_flagged_bounded_with_the_total(
    app, make_risk, make_user, users
):
    from riskreg.reviews import queries

    owner = make_user(name="Olga Owner")
    on = today()
    overdue = reviewed_on(make_risk(title="Overdue", owner_id=owner.id), on - timedelta(days=4))
    due = reviewed_on(make_risk(title="Due", owner_id=owner.id), on + timedelta(days=2))
    reviewed_on(make_risk(title="Later", owner_id=owner.id), on + timedelta(days=30))
    reviewed_on(make_risk(title="Not hers", owner_id=users["executive"].id), on)
    rows, total = queries.owner_due_risks(owner.id, on)
    assert [(risk.title, flagged) for risk, flagged in rows] == [
        ("Overdue", False),
        ("Due", False),
    ] and total == 2
    assert queries.review_detail(overdue, on, False) == f"review overdue since {overdue.next_review_date}"
    assert (
        queries.review_detail(due, on, True) == f"review due on {due.next_review_date}; flagged by monitoring"
    )
    for n in range(21):
        reviewed_on(make_risk(title=f"Many {n}", owner_id=owner.id), on + timedelta(days=1))
    rows, total = queries.owner_due_risks(owner.id, on)
    assert len(rows) == 20 and total == 23


def test_my_work_section_when_the_me_page_exists(app, make_risk, make_user):
    pytest.importorskip("riskreg.me.sections")
    from riskreg.reviews import queries

    owner = make_user(name="Olga Owner")
    assert queries.my_reviews(owner, today()) is None
    risk = reviewed_on(make_risk(title="Overdue", owner_id=owner.id), today() - timedelta(days=1))
    with app.test_request_context():
        section = queries.my_reviews(owner, today())
    assert section.title == "Risks due or flagged for review" and section.total == 1
    [item] = section.items
    assert item.url == f"/risks/{risk.id}#reviews" and item.urgent and item.action_label == "Review"
