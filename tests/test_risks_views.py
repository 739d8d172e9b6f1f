"""The register pages: filters, sort, pagination, band counts, validation, conflict merge, archive."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.risks.models import Direction, Risk, RiskStatus
from tests.conftest import risk_form, text_of
from tests.edit_forms import edited


def refs(response) -> list[str]:
    return re.findall(r">(R-\d{4})</a></td>", response.get_data(as_text=True))


@pytest.fixture
def register(make_risk, make_site, users):
    from riskreg.risks.services import archive_risk

    north, south = make_site(name="North"), make_site(name="South")
    old = make_risk(title="Old archived risk", status=RiskStatus.OPEN)
    archive_risk(old, users["risk_manager"])
    db.session.commit()
    return {
        "company_north": make_risk(
            title="Encroachment north", site_id=north.id, residual_likelihood=4, residual_impact=4
        ),  # 16 extreme
        "asm_south": make_risk(
            title="Eviction without due process",
            site_id=south.id,
            direction=Direction.TO_ASM,
            category="Human Rights - Security",
            inherent_likelihood=2,
            inherent_impact=5,
            residual_likelihood=1,
            residual_impact=5,
        ),  # people rule: high
        "community": make_risk(
            title="Mercury exposure downstream",
            direction=Direction.TO_COMMUNITIES,
            category="Environment",
            description="Amalgam burning in homes",
            residual_likelihood=2,
            residual_impact=2,
        ),  # low
        "draft": make_risk(
            title="Draft idea", status=RiskStatus.DRAFT, residual_likelihood=3, residual_impact=2
        ),  # medium
        "archived": old,
        "sites": (north, south),
    }


@pytest.fixture
def archived(register):
    return register["archived"]


def test_default_list_hides_archived_and_sorts_by_residual_score(clients, register, archived):
    response = clients["executive"].get("/risks")
    assert refs(response)[0] == register["company_north"].ref
    assert len(refs(response)) == 4 and archived.ref not in refs(response)
    scores = [db.session.get(Risk, int(ref[2:])).residual_score for ref in refs(response)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("direction=to_asm", ["asm_south"]),
        ("category=Environment", ["community"]),
        ("band=extreme", ["company_north"]),
        ("band=high", ["asm_south"]),
        ("band=low", ["community"]),
        ("status=draft", ["draft"]),
        ("q=MERCURY", ["community"]),
        ("q=amalgam", ["community"]),
        ("site=corporate&status=open", ["community"]),
        ("likelihood=1&impact=5", ["asm_south"]),
        ("likelihood=2&impact=5&basis=inherent", ["asm_south"]),
    ],
)
def test_filters(clients, register, query, expected):
    response = clients["executive"].get(f"/risks?{query}")
    assert response.status_code == 200
    assert sorted(refs(response)) == sorted(register[key].ref for key in expected)


def test_site_and_owner_filters(clients, register, users):
    north, _ = register["sites"]
    assert refs(clients["executive"].get(f"/risks?site={north.id}")) == [register["company_north"].ref]
    assert len(refs(clients["executive"].get(f"/risks?owner={users['risk_manager'].id}"))) == 4
    assert refs(clients["executive"].get(f"/risks?owner={users['executive'].id}")) == []


def test_status_archived_shows_archived(clients, archived):
    assert refs(clients["executive"].get("/risks?status=archived")) == [archived.ref]


def test_counts_per_band_ignore_the_band_filter(clients, register):
    text = text_of(clients["executive"].get("/risks?band=low"))
    for label, count in (("Low", 1), ("Medium", 1), ("High", 1), ("Extreme", 1)):
        assert f"{label} {count}" in text


@pytest.mark.parametrize(
    "sort",
    [
        "ref",
        "-ref",
        "title",
        "-title",
        "inherent",
        "category",
        "status",
        "review",
        "direction",
        "updated",
        "-residual",
        "residual",
    ],
)
def test_every_column_sorts(clients, register, sort):
    response = clients["executive"].get(f"/risks?sort={sort}")
    assert response.status_code == 200 and len(refs(response)) == 4


def test_sort_by_title(clients, register):
    titles = [
        db.session.get(Risk, int(r[2:])).title for r in refs(clients["executive"].get("/risks?sort=title"))
    ]
    assert titles == sorted(titles)


def test_pagination(clients, make_risk):
    for n in range(7):
        make_risk(title=f"Risk {n}")
    first = clients["executive"].get("/risks?per_page=3&sort=ref")
    third = clients["executive"].get("/risks?per_page=3&sort=ref&page=3")
    assert len(refs(first)) == 3 and len(refs(third)) == 1
    assert "Page 1 of 3" in text_of(first)


@pytest.mark.parametrize(
    "query",
    [
        "site=abc",
        "direction=sideways",
        "band=purple",
        "status=deleted",
        "likelihood=6",
        "impact=0",
        "basis=future",
        "sort=password",
        "page=0",
        "per_page=5000",
        "category=Nope",
        "owner=-1",
        "q=" + "x" * 300,
    ],
)
def test_bad_query_parameters_get_a_clear_400(clients, query):
    response = clients["executive"].get(f"/risks?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert name in text_of(response) or "search text" in text_of(response)


def test_create_risk_through_the_form(clients, users):
    response = clients["risk_manager"].post("/risks/new", data=risk_form(owner_id=users["executive"].id))
    assert response.status_code == 302
    risk = db.session.scalar(sa.select(Risk).where(Risk.title == "Mercury use in ASM processing upstream"))
    assert risk.owner_id == users["executive"].id and risk.residual_score == 9
    page = clients["risk_manager"].get(response.headers["Location"])
    assert risk.ref in text_of(page) and "Created by" not in text_of(page)
    assert "Create" in text_of(page)  # the History tab shows the creation


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("title", "x" * 201, "200"),
        ("inherent_likelihood", "7", "Not a valid choice"),
        ("residual_impact", "abc", "Not a valid choice"),
        ("direction", "sideways", "Choose one of"),
        ("category", "Astrology", "Not a valid choice"),
        ("site_id", "99999", "does not exist"),
        ("owner_id", "99999", "does not exist"),
        ("next_review_date", "31/02/2027", "Not a valid date value"),
        ("residual_likelihood", "5", "cannot be higher than the inherent score"),
        ("target_likelihood", "2", "both a target likelihood and a target impact"),
        ("status", "archived", "Not a valid choice"),
        ("treatment", "ignore", "Choose one of"),
    ],
)
def test_each_bad_field_gets_its_message_and_nothing_is_written(clients, users, field, value, message):
    data = risk_form(owner_id=users["risk_manager"].id)
    data[field] = value
    if field == "residual_likelihood":
        data["residual_impact"] = "5"
    response = clients["risk_manager"].post("/risks/new", data=data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "risk")) == 0


def test_unknown_risk_is_404(clients):
    assert clients["executive"].get("/risks/424242").status_code == 404


def form_of(risk: Risk, **over) -> dict:
    data = risk_form(
        title=risk.title,
        site_id=risk.site_id or "",
        direction=risk.direction.value,
        category=risk.category,
        owner_id=risk.owner_id,
        inherent_likelihood=risk.inherent_likelihood,
        inherent_impact=risk.inherent_impact,
        residual_likelihood=risk.residual_likelihood,
        residual_impact=risk.residual_impact,
        status=risk.status.value,
        version=risk.version,
        description=risk.description,
        cause=risk.cause,
        consequence=risk.consequence,
        impact_area=risk.impact_area.value,
        next_review_date="",
    )
    data.update(over)
    return data


def test_edit_records_history(clients, make_risk):
    risk = make_risk()
    url = f"/risks/{risk.id}/edit"
    response = clients["risk_manager"].post(
        url, data=edited(clients["risk_manager"], url, "risk-form", residual_likelihood="2")
    )
    assert response.status_code == 302
    page = text_of(clients["executive"].get(f"/risks/{risk.id}"))
    assert "Update by Rhea Risk" in page and "residual likelihood 3 2" in page


def test_archive_and_restore_from_the_page(clients, make_risk):
    risk = make_risk()
    clients["risk_manager"].post(f"/risks/{risk.id}/archive", data={"reason": "Duplicate"})
    db.session.rollback()
    assert db.session.get(Risk, risk.id).status is RiskStatus.ARCHIVED
    page = text_of(clients["executive"].get(f"/risks/{risk.id}"))
    assert "This risk is archived" in page and "Duplicate" in page
    clients["risk_manager"].post(f"/risks/{risk.id}/restore")
    db.session.rollback()
    assert db.session.get(Risk, risk.id).status is RiskStatus.OPEN


def test_titles_are_escaped(clients, make_risk):
    risk = make_risk(title="<script>alert(1)</script>")
    html = clients["executive"].get(f"/risks/{risk.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("sort", ["-residual", "title", "-updated", "ref", "review"])
def test_next_and_previous_links_walk_the_whole_register_in_order(clients, make_risk, sort):
    for n in range(11):
        make_risk(title=f"Risk {n % 4}", residual_likelihood=1 + n % 3, residual_impact=1 + n % 2)
    client = clients["executive"]
    expected = refs(client.get(f"/risks?per_page=100&sort={sort}"))
    seen, pages, url = [], [], f"/risks?per_page=4&sort={sort}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(url)
        seen += refs(response)
        found = re.search(r'href="([^"]+)" rel="next"', response.get_data(as_text=True))
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected and len(pages) == 3
    back = client.get(pages[-1])
    previous = (
        re.search(r'href="([^"]+)" rel="prev"', back.get_data(as_text=True)).group(1).replace("&amp;", "&")
    )
    assert refs(client.get(previous)) == expected[4:8]


def test_a_damaged_cursor_is_a_400(clients, make_risk):
    make_risk()
    response = clients["executive"].get("/risks?after=not-a-cursor")
    assert response.status_code == 400 and "page link is damaged" in text_of(response)


def test_an_archived_risk_cannot_be_edited_until_restored(clients, make_risk):
    risk = make_risk()
    clients["risk_manager"].post(f"/risks/{risk.id}/archive", data={"reason": "Duplicate"})
    db.session.rollback()
    risk = db.session.get(Risk, risk.id)
    assert clients["risk_manager"].get(f"/risks/{risk.id}/edit").status_code == 400
    response = clients["risk_manager"].post(f"/risks/{risk.id}/edit", data=form_of(risk, title="Changed"))
    assert response.status_code == 400 and "restore it before editing" in text_of(response)
    db.session.rollback()
    assert db.session.get(Risk, risk.id).status is RiskStatus.ARCHIVED


@pytest.mark.parametrize(
    "url",
    [
        "/risks/99999999999999999999",
        "/risks?site=99999999999999999999",
        "/risks?owner=%C2%B2",
        "/risks?likelihood=%C2%B2",
        "/risks?page=99999999999999999999",
        "/risks?after=WzEsOTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",
        "/risks?after=Wzk5OTk5OTk5OTk5OTk5OTk5OTk5LDFd",
    ],
)
def test_huge_and_unicode_numbers_are_a_4xx_never_a_500(clients, make_risk, url):
    make_risk()
    assert clients["executive"].get(url).status_code in (400, 404)
