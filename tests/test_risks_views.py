"""The register pages: filters, sort, pagination, band counts, validation, conflict merge, archive."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.risks import queries
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


def test_default_list_hides_archived_and_sorts_by_residual_band_then_score(clients, register, archived):
    response = clients["executive"].get("/risks")
    # Extreme 16; High 5 (to ASM miners, impact 5: people-first); Medium 6; Low 4
    expected = [register[key].ref for key in ("company_north", "asm_south", "draft", "community")]
    assert refs(response) == expected and archived.ref not in refs(response)


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
    assert refs(response) == [register[key].ref for key in expected]  # in the register's order


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


@pytest.fixture
def sortable(make_risk, make_site, users):
    """Six risks that every sort puts in a different order; scores chosen so that band and score
    disagree (cell map: 3 x 4 = 12 is Extreme, 4 x 3 = 12 is High, 2 x 5 = 10 is Extreme)."""
    north, south = make_site(name="North"), make_site(name="South")
    rows = [
        ("Fence", north, Direction.TO_COMPANY, "Land Access & Tenure", "executive", (4, 4), (4, 3), "open"),
        ("Mercury", None, Direction.TO_COMMUNITIES, "Environment", "admin", (5, 5), (3, 4), "draft"),
        (
            "Eviction",
            south,
            Direction.TO_ASM,
            "Human Rights - Security",
            "risk_manager",
            (2, 5),
            (2, 5),
            "open",
        ),
        (
            "Cyanide",
            north,
            Direction.TO_COMMUNITIES,
            "Environment",
            "department_head",
            (5, 2),
            (5, 1),
            "closed",
        ),
        (
            "Bribery",
            None,
            Direction.TO_COMPANY,
            "Governance & Integrity",
            "risk_manager",
            (3, 3),
            (3, 2),
            "open",
        ),
        (
            "Access road",
            south,
            Direction.TO_COMPANY,
            "Land Access & Tenure",
            "admin",
            (3, 2),
            (2, 2),
            "draft",
        ),
    ]
    made = []
    for n, (title, site, direction, category, owner, inherent, residual, status) in enumerate(rows):
        made.append(
            make_risk(
                title=title,
                site_id=site.id if site else None,
                direction=direction,
                category=category,
                owner_id=users[owner].id,
                inherent_likelihood=inherent[0],
                inherent_impact=inherent[1],
                residual_likelihood=residual[0],
                residual_impact=residual[1],
                status=RiskStatus(status),
                next_review_date=date(2030, 1, 1) + timedelta(days=(n * 37) % 11),
            )
        )
    return made


SORT_KEYS = {
    "ref": lambda r: (r.id,),
    "title": lambda r: (r.title, r.id),
    "site": lambda r: (r.site.name if r.site else "", r.id),  # corporate first from A to Z
    "direction": lambda r: (r.direction.value, r.id),
    "category": lambda r: (r.category, r.id),
    "owner": lambda r: (r.owner.name, r.id),
    "inherent": lambda r: (r.inherent_band.rank, r.inherent_score, r.id),
    "residual": lambda r: (r.residual_band.rank, r.residual_score, r.id),
    "status": lambda r: (r.status.value, r.id),
    "review": lambda r: (r.next_review_date, r.id),
    "updated": lambda r: (r.updated_at, r.id),
}


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_every_column_sorts_the_whole_register_in_its_order(clients, sortable, key, descending):
    loaded = [queries.risk_with_links(risk.id) for risk in sortable]
    expected = [r.ref for r in sorted(loaded, key=SORT_KEYS[key], reverse=descending)]
    sort = f"-{key}" if descending else key
    assert refs(clients["executive"].get(f"/risks?sort={sort}")) == expected
    # one risk per page: the cursors (or page numbers) walk the same order
    assert walk(clients["executive"], f"/risks?per_page=1&sort={sort}") == expected


def walk(client, url: str) -> list[str]:
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += refs(response)
        found = re.search(r'href="([^"]+)" rel="next"', response.get_data(as_text=True))
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen


def test_scores_sort_by_band_first_a_12_that_is_extreme_before_a_12_that_is_high(clients, sortable):
    fence, mercury, eviction, cyanide, bribery, road = (risk.ref for risk in sortable)
    # Extreme 12, Extreme 10, High 12, High 5, Medium 6, Low 4 (by score alone: 12, 12, 10, 6, 5, 4)
    assert refs(clients["executive"].get("/risks")) == [mercury, eviction, fence, cyanide, bribery, road]
    assert refs(clients["executive"].get("/risks?sort=residual"))[:2] == [road, bribery]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Y", ["Mercury", "Cyanide", "Bribery"]),  # every title with a y, any case, in the register's order
        ("EVICTION", ["Eviction"]),
        ("r-000", ["Mercury", "Eviction", "Fence", "Cyanide", "Bribery", "Access road"]),  # the refs
        ("road", ["Access road"]),
        ("50%", ["Cyanide"]),  # % is a character, not a wildcard
        ("5_%", []),
    ],
)
def test_search_finds_exactly_the_matching_risks_in_the_register_order(clients, sortable, q, expected):
    from riskreg.risks import services

    cyanide = sortable[3]
    data = {name: getattr(cyanide, name) for name in services.EDITABLE_FIELDS}
    services.update_risk(
        cyanide, data | {"description": "Spills above 50% of the limit"}, None, cyanide.version
    )
    db.session.commit()
    titles = {risk.ref: risk.title for risk in sortable}
    response = clients["executive"].get("/risks", query_string={"q": q})
    assert [titles[ref] for ref in refs(response)] == expected


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


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("param", ["after", "before"])
@pytest.mark.parametrize(
    ("sort", "payload"),
    [
        ("-residual", "[true,1]"),  # the default sort's cursor is [band rank, score, id]
        ("-residual", "[true,1,1]"),
        ("-residual", "[null,9,1]"),
        ("-residual", "[3,12]"),  # a value short
        ("-residual", "[3,12,1,1]"),  # a value too many
        ("-residual", '["3",12,1]'),  # a string where a number belongs
        ("-residual", "[3,1.5,1]"),
        ("-residual", "[3,-1,1]"),
        ("-residual", "[3,12,99999999999999]"),
        ("-residual", "[3,12,0]"),
        ("-residual", '{"rank":3}'),
        ("-residual", "[[3],12,1]"),
        ("-residual", "[" * 3000 + "]" * 3000),  # nested deeper than the JSON parser recurses
        ("-residual", "[3,12,1] "),
        ("title", "[5,1]"),  # a number where a title belongs
        ("title", '["' + "x" * 1001 + '",1]'),
        ("direction", '["sideways",1]'),
        ("updated", '["yesterday",1]'),
        ("ref", "[1,1]"),  # the ref sort's cursor is the id alone
    ],
)
def test_a_malformed_cursor_is_a_400_that_says_so(clients, make_risk, param, sort, payload):
    make_risk()
    response = clients["executive"].get("/risks", query_string={"sort": sort, param: cursor(payload)})
    assert response.status_code == 400, payload[:40]
    assert "page link is damaged; go back to the first page" in text_of(response)


def test_a_cursor_too_long_is_refused_before_it_is_decoded(clients, make_risk, monkeypatch):
    from riskreg.risks import pagination

    make_risk()
    calls = []

    class Recorder:
        def urlsafe_b64decode(self, raw):
            calls.append(raw)
            return base64.urlsafe_b64decode(raw)

    monkeypatch.setattr(pagination, "base64", Recorder())
    response = clients["executive"].get("/risks", query_string={"after": "W" * 5000})
    assert response.status_code == 400 and calls == []


def test_a_cursor_with_a_site_or_owner_name_walks_on(clients, sortable):
    # names with quotes, backslashes and non-ASCII letters survive the round trip
    from riskreg.sites.models import Site

    db.session.execute(sa.update(Site).values(name=Site.name + ' "Ñandú" \\ ⛏'))
    db.session.commit()
    expected = refs(clients["executive"].get("/risks?sort=-site"))
    assert walk(clients["executive"], "/risks?per_page=2&sort=-site") == expected and len(expected) == 6


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
