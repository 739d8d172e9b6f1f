"""The next review date follows the residual band's cadence (seeds/matrix.toml `review_days`) when
nobody gives one: on create, on a change of residual score or band, and on import."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from riskreg import scoring
from riskreg.audit import AuditEvent
from riskreg.config import ROOT
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks import services
from riskreg.risks.models import Direction, Risk, RiskStatus
from tests.conftest import risk_form, text_of
from tests.xlsx_files import append_row, edited, export, token_of, upload, workbook

MATRIX = ROOT / "seeds" / "matrix.toml"
ON = date(2026, 5, 4)
CADENCE = {"low": 365, "medium": 180, "high": 90, "extreme": 30}


def values(likelihood: int, impact: int, **over):
    """Residual (likelihood, impact) on the seeds' cell map: (1,1) Low, (1,3) Medium, (1,4) High,
    (5,5) Extreme."""
    return {
        "residual_likelihood": likelihood,
        "residual_impact": impact,
        "direction": Direction.TO_COMPANY,
        "status": RiskStatus.OPEN,
        "next_review_date": None,
    } | over


def test_every_band_has_its_review_cadence():
    matrix = scoring.load_matrix(str(MATRIX))
    assert {band.key: band.review_days for band in matrix.bands} == CADENCE


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, "band 'high' has no review_days"),
        (0, "from 1 to 3650, not 0"),
        (4000, "not 4000"),
        ("90", "not '90'"),
        (True, "not True"),
        (12.5, "not 12.5"),
    ],
)
def test_a_missing_or_bad_cadence_is_a_matrix_error(bad, message):
    data = tomllib.loads(MATRIX.read_text())
    high = next(band for band in data["bands"] if band["key"] == "high")
    if bad is None:
        del high["review_days"]
    else:
        high["review_days"] = bad
    with pytest.raises(scoring.MatrixError, match=message):
        scoring.parse_matrix(data)


@pytest.mark.parametrize(
    ("cell", "band"), [((1, 1), "low"), ((1, 3), "medium"), ((1, 4), "high"), ((5, 5), "extreme")]
)
def test_a_new_risk_without_a_date_is_due_after_its_bands_cadence(app, cell, band):
    assert services.next_review_date(values(*cell), None, ON) == ON + timedelta(days=CADENCE[band])


def test_a_date_given_by_hand_is_kept(app):
    later = ON + timedelta(days=400)
    assert services.next_review_date(values(5, 5, next_review_date=later), None, ON) == later
    stored = values(1, 1, next_review_date=ON + timedelta(days=300))
    moved = values(5, 5, next_review_date=ON + timedelta(days=200))  # score and date changed together
    assert services.next_review_date(moved, stored, ON) == ON + timedelta(days=200)


def test_a_change_of_residual_score_brings_the_review_forward(app):
    stored = values(1, 1, next_review_date=ON + timedelta(days=300))  # Low, reviewed in 300 days
    assert services.next_review_date(
        values(5, 5, next_review_date=stored["next_review_date"]), stored, ON
    ) == (ON + timedelta(days=30))


def test_an_earlier_date_already_set_is_kept_when_the_band_falls(app):
    soon = ON + timedelta(days=20)
    stored = values(5, 5, next_review_date=soon)
    assert services.next_review_date(values(1, 1, next_review_date=soon), stored, ON) == soon
    passed = ON - timedelta(days=20)  # a review date already past is not "earlier": the new score counts
    stored = values(5, 5, next_review_date=passed)
    assert services.next_review_date(values(1, 1, next_review_date=passed), stored, ON) == ON + timedelta(
        days=365
    )


def test_nothing_moves_without_a_change_of_score_or_band(app):
    stored = values(5, 5, next_review_date=ON + timedelta(days=300))
    same = dict(stored, title="Renamed")
    assert services.next_review_date(same, stored, ON) == ON + timedelta(days=300)
    emptied = dict(stored, next_review_date=None)  # a date cleared by hand: the cadence gives one again
    assert services.next_review_date(emptied, stored, ON) == ON + timedelta(days=30)


def test_a_change_of_band_without_a_change_of_score_counts(app):
    app.config["MATRIX_PRESET"] = "score_thresholds"  # (1, 5) scores 5: Medium, High for people
    stored = values(1, 5, next_review_date=ON + timedelta(days=170))
    to_people = dict(stored, direction=Direction.TO_ASM)
    assert services.next_review_date(to_people, stored, ON) == ON + timedelta(days=90)


def test_closed_risks_are_not_given_a_review(app):
    assert services.next_review_date(values(5, 5, status=RiskStatus.CLOSED), None, ON) is None


def test_create_and_update_store_and_audit_the_derived_date(make_risk, users):
    risk = make_risk(residual_likelihood=3, residual_impact=3)  # High
    assert risk.next_review_date == today() + timedelta(days=90)
    created = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "risk", AuditEvent.entity_id == risk.id)
    )
    assert created.changes["next_review_date"] == [None, risk.next_review_date.isoformat()]

    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    data.update(inherent_likelihood=5, inherent_impact=5, residual_likelihood=5, residual_impact=5)
    changes = services.update_risk(risk, data, users["risk_manager"], risk.version)
    assert changes["next_review_date"] == [
        (today() + timedelta(days=90)).isoformat(),
        (today() + timedelta(days=30)).isoformat(),
    ]


def test_a_new_extreme_risk_from_the_form_is_reviewed_within_a_month(clients, users):
    data = risk_form(
        owner_id=users["risk_manager"].id,
        inherent_likelihood="5",
        inherent_impact="5",
        residual_likelihood="5",
        residual_impact="4",
        next_review_date="",
    )
    assert clients["risk_manager"].post("/risks/new", data=data).status_code == 302
    db.session.rollback()
    risk = db.session.scalar(sa.select(Risk))
    assert risk.residual_band.key == "extreme"
    assert risk.next_review_date == today() + timedelta(days=30)


def test_the_form_and_the_legend_show_the_cadence(clients):
    page = text_of(clients["risk_manager"].get("/risks/new"))
    assert "Extreme 30 days, High 90 days, Medium 180 days, Low 365 days from today" in page
    assert "Reviewed every" in page and "30 days" in page
    legend = workbook(export(clients["executive"]))["Legend"]
    rows = [[cell.value for cell in row] for row in legend.iter_rows()]
    header = next(i for i, row in enumerate(rows) if "Review every (days)" in row)
    column = rows[header].index("Review every (days)")
    assert [row[column] for row in rows[header + 1 : header + 5]] == [365, 180, 90, 30]


def test_an_imported_row_without_a_review_date_gets_the_cadence(clients, users):
    client = clients["risk_manager"]

    def add(ws):
        append_row(
            ws,
            Title="Tailings re-processing by ASM",
            Direction="to_company",
            Category="Environment",
            Owner=users["risk_manager"].email,
            **{
                "Inherent likelihood": 3,
                "Inherent impact": 3,
                "Residual likelihood": 1,
                "Residual impact": 1,
                "Treatment": "reduce",
                "Consequence area": "Environment",
                "Status": "Open",
            },
        )

    response = upload(client, edited(export(client), add))
    assert client.post("/import/confirm", data={"token": token_of(response)}).status_code == 302
    db.session.rollback()
    risk = db.session.scalar(sa.select(Risk).where(Risk.title == "Tailings re-processing by ASM"))
    assert risk.next_review_date == today() + timedelta(days=365)  # Low
