"""Reviews from the risk page (the owner or a risk manager: "reviewed, no change" with a note, or
"Reassess" through the edit form), the History and the Reviews table, the register's and the
export's review=due|overdue filter, and the dashboard link to the risks past review."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.reviews.models import ReviewKind, RiskReview
from tests.conftest import text_of
from tests.edit_forms import edited
from tests.xlsx_files import calamine_rows, export


def reviews_of(risk) -> list[RiskReview]:
    db.session.rollback()  # see what the requests committed
    return list(
        db.session.scalars(sa.select(RiskReview).where(RiskReview.risk_id == risk.id).order_by(RiskReview.id))
    )


def due_on(risk, when):
    risk.next_review_date = when
    db.session.commit()
    return risk


def test_the_owner_records_reviewed_no_change_and_it_shows_in_reviews_and_history(clients, users, make_risk):
    risk = due_on(make_risk(owner_id=users["department_head"].id), today() - timedelta(days=2))
    page = clients["department_head"].get(f"/risks/{risk.id}").get_data(as_text=True)
    assert f'action="/risks/{risk.id}/review"' in page and "(overdue)" in page
    assert "Not reviewed yet." in page and "/edit?reassess=1" not in page  # the head may not edit
    refused = clients["department_head"].post(
        f"/risks/{risk.id}/review", data={"note": ""}, follow_redirects=True
    )
    assert "Say in a note why the risk stays as it is." in text_of(refused) and reviews_of(risk) == []
    response = clients["department_head"].post(f"/risks/{risk.id}/review", data={"note": "Fence repaired"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/risks/{risk.id}#reviews")
    [review] = reviews_of(risk)
    assert review.kind is ReviewKind.NO_CHANGE and review.by_id == users["department_head"].id
    text = text_of(clients["executive"].get(f"/risks/{risk.id}"))
    assert "1 review" in text and "Reviewed, no change" in text and "Fence repaired" in text
    assert "Reviewed, no change: Fence repaired." in text  # the History event
    assert "(overdue)" not in text


def test_others_may_not_review_and_an_archived_risk_is_refused(clients, users, make_risk):
    risk = make_risk(owner_id=users["risk_manager"].id)
    page = clients["executive"].get(f"/risks/{risk.id}").get_data(as_text=True)
    assert f'action="/risks/{risk.id}/review"' not in page
    assert clients["executive"].post(f"/risks/{risk.id}/review", data={"note": "x"}).status_code == 403
    assert clients["department_head"].post(f"/risks/{risk.id}/review", data={"note": "x"}).status_code == 403
    clients["risk_manager"].post(f"/risks/{risk.id}/archive", data={"reason": "Gone"})
    response = clients["risk_manager"].post(f"/risks/{risk.id}/review", data={"note": "x"})
    assert response.status_code == 400 and "archived" in response.get_data(as_text=True)
    assert reviews_of(risk) == []


def test_reassess_opens_the_edit_form_and_its_save_is_a_reassessment_review(clients, make_risk):
    risk = due_on(make_risk(), today() + timedelta(days=3))
    page = clients["risk_manager"].get(f"/risks/{risk.id}").get_data(as_text=True)
    assert f"/risks/{risk.id}/edit?reassess=1" in page and "(due within 7 days)" in page
    url = f"/risks/{risk.id}/edit?reassess=1"
    response = clients["risk_manager"].post(url, data=edited(clients["risk_manager"], url, "risk-form"))
    assert response.status_code == 302, response.get_data(as_text=True)
    [review] = reviews_of(risk)
    assert (
        review.kind is ReviewKind.REASSESSED and review.note == "Reassessed; the assessment stays as it was"
    )
    assert review.next_review_after == today() + timedelta(days=risk.residual_band.review_days)
    # A plain edit that changes no assessment is no review.
    plain = f"/risks/{risk.id}/edit"
    clients["risk_manager"].post(
        plain, data=edited(clients["risk_manager"], plain, "risk-form", title="Renamed")
    )
    assert len(reviews_of(risk)) == 1
    # Reassess with a score change: one review, noting the change.
    clients["risk_manager"].post(
        url, data=edited(clients["risk_manager"], url, "risk-form", residual_impact="2")
    )
    reviews = reviews_of(risk)
    assert len(reviews) == 2 and reviews[-1].note == "residual impact 3 → 2"


def test_register_and_export_filter_review_due_and_overdue(clients, make_risk):
    on = today()
    overdue = due_on(make_risk(title="Overdue one"), on - timedelta(days=1))
    due = due_on(make_risk(title="Due one"), on + timedelta(days=7))
    later = due_on(make_risk(title="Later one"), on + timedelta(days=8))
    client = clients["executive"]
    overdue_page, due_page = (
        text_of(client.get("/risks?review=overdue")),
        text_of(client.get("/risks?review=due")),
    )
    assert overdue.ref in overdue_page and due.ref not in overdue_page and later.ref not in overdue_page
    assert due.ref in due_page and overdue.ref not in due_page and later.ref not in due_page
    bad = client.get("/risks?review=soon")
    assert bad.status_code == 400 and "must be one of due, overdue" in text_of(bad)
    rows = calamine_rows(export(client, "?review=overdue"), "Register")
    assert [row[rows[0].index("Ref")] for row in rows[1:]] == [overdue.ref]
    assert "Last review" in rows[0] and "Reviews" in rows[0]


def test_the_dashboard_links_its_past_review_figure_to_the_register_filter(clients, make_risk):
    due_on(make_risk(title="Overdue one"), today() - timedelta(days=1))
    page = clients["executive"].get("/dashboard").get_data(as_text=True)
    assert "review=overdue" in page
