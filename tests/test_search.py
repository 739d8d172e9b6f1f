"""The header's search (/search) and the full-text index under it and under the register's q=."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from riskreg.extensions import db
from riskreg.risks import services as risk_services
from riskreg.risks.models import Risk
from riskreg.search import index
from riskreg.sites.models import (
    ActivityType,
    AsmObservation,
    Engagement,
    EngagementMode,
    ObservationLocation,
    ObservationSource,
    Site,
    StakeholderGroup,
)
from riskreg.standards.models import Requirement
from tests.conftest import text_of
from tests.controls_support import new_control
from tests.grievance_support import new_grievance


def groups(response) -> dict[str, list[str]]:
    """kind -> the result titles, in the page's order."""
    html = response.get_data(as_text=True)
    found = {}
    for kind, body in re.findall(r'id="results-(\w+)">(.*?)</section>', html, re.S):
        found[kind] = re.findall(r'</span> <a href="[^"]+">([^<]+)</a>', body)
    return found


@pytest.fixture
def corpus(make_risk, make_site, users):
    site = make_site(name="Obuasi West", description="Alluvial workings along the Zanzibrook river")
    risks = {
        "title": make_risk(title="Zanzibrook siltation", description="Tailings reach the water."),
        "body": make_risk(title="Access road dust", description="Trucks pass the Zanzibrook bridge."),
        "notes": make_risk(title="Worker fatigue", cause="Night shifts near Zanzibrook camp"),
        "other": make_risk(title="Unrelated risk", description="Nothing to see."),
    }
    control = new_control(users["risk_manager"], title="Zanzibrook water sampling")
    db.session.add_all(
        [
            Requirement(
                code="T-1",
                framework_key="IRMA",
                framework="IRMA",
                edition="1.0",
                identifier="IRMA 4.2",
                title="Water management",
                summary="Protect the Zanzibrook catchment.",
            ),
            Engagement(
                site_id=site.id,
                held_on=date(2026, 5, 1),
                stakeholder_group=StakeholderGroup.ASM_MINERS,
                mode=EngagementMode.DIRECT,
                topics="Meeting at Zanzibrook ford about water",
            ),
            AsmObservation(
                site_id=site.id,
                observed_on=date(2026, 5, 2),
                location=ObservationLocation.ADJACENT,
                activity_type=ActivityType.ALLUVIAL,
                source=ObservationSource.FIELD_VISIT,
                notes="Sluices on the Zanzibrook bank",
            ),
        ]
    )
    db.session.commit()
    return {"site": site, "control": control, **risks}


def test_one_search_finds_every_kind_grouped_and_ranked(clients, corpus):
    response = clients["executive"].get("/search?q=zanzibrook")
    assert response.status_code == 200
    found = groups(response)
    assert list(found) == ["risk", "control", "site", "requirement", "engagement", "observation"]
    # a match in the title ranks above one in the text, which ranks above one in the notes
    assert found["risk"] == ["Zanzibrook siltation", "Access road dust", "Worker fatigue"]
    assert found["control"] == ["Zanzibrook water sampling"]
    assert found["site"] == ["Obuasi West"]
    assert found["requirement"] == ["Water management"]
    assert "Unrelated risk" not in text_of(response)


def test_every_word_must_match_and_a_ref_is_found(clients, corpus):
    assert groups(clients["executive"].get("/search?q=zanzibrook bridge")) == {"risk": ["Access road dust"]}
    ref = corpus["notes"].ref
    assert groups(clients["department_head"].get(f"/search?q={ref}"))["risk"] == ["Worker fatigue"]


def test_the_header_has_the_search_box(clients):
    html = clients["executive"].get("/risks").get_data(as_text=True)
    assert 'action="/search"' in html and 'name="q"' in html


def test_the_index_follows_every_write_in_its_transaction(clients, corpus, users):
    risk = corpus["title"]
    data = {name: getattr(risk, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(
        risk, data | {"title": "Quarrystone siltation"}, users["risk_manager"], risk.version
    )
    db.session.commit()
    assert groups(clients["executive"].get("/search?q=quarrystone")) == {"risk": ["Quarrystone siltation"]}
    assert "Quarrystone siltation" not in str(groups(clients["executive"].get("/search?q=zanzibrook")))
    # a bulk insert that bypasses the ORM (seed scale, the import) is searchable as well
    db.session.execute(
        sa.insert(Site.__table__).values(
            name="Bulkinserted site",
            country="Peru",
            description="",
            region="",
            commodity="",
            lifecycle="operating",
            asm_presence="none",
            asm_presence_source="observations",
            asm_presence_reason="",
            asm_approach="not_defined",
            active=True,
            version=1,
            created_at=sa.func.now(),
        )
    )
    db.session.commit()
    assert groups(clients["executive"].get("/search?q=bulkinserted")) == {"site": ["Bulkinserted site"]}
    # deleted rows leave the index
    db.session.execute(sa.delete(AsmObservation))
    db.session.commit()
    assert "observation" not in groups(clients["executive"].get("/search?q=zanzibrook"))
    # a rolled-back write leaves nothing behind
    corpus["other"].title = "Vanishingword"
    db.session.flush()
    db.session.rollback()
    assert groups(clients["executive"].get("/search?q=vanishingword")) == {}


def test_grievances_are_never_searchable(clients, corpus, users):
    new_grievance(corpus["site"], users["risk_manager"], description="Confidentialword complaint about pits")
    for role in ("admin", "risk_manager", "department_head", "executive"):
        response = clients[role].get("/search?q=confidentialword")
        assert response.status_code == 200 and groups(response) == {}
        assert "Nothing matches" in text_of(response)


def test_search_needs_to_be_signed_in(client):
    response = client.get("/search?q=anything")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "x" * 5000,
        '"',
        '"zanzibrook',
        "zanzibrook NEAR water",
        "NEAR(zanzibrook water)",
        "zanz*",
        "-zanzibrook",
        "(zanzibrook OR water)",
        "a AND b",
        "zanzibrook:*",
        "'; DROP TABLE risks; --",
        "{ref title} : x",
        "\\",
        "é",
        "!!!",
        "a",
    ],
)
def test_bad_input_never_fails(clients, corpus, q):
    response = clients["executive"].get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 4


def test_syntax_characters_are_plain_characters(clients, corpus):
    # FTS operators in the text are not operators: "-zanzibrook" does not exclude, it searches
    assert groups(clients["executive"].get("/search?q=-zanzibrook siltation")) == {
        "risk": ["Zanzibrook siltation"]
    }
    too_long = clients["executive"].get("/search", query_string={"q": "x" * 300})
    assert "at most 200 characters" in text_of(too_long)
    assert "at least three letters" in text_of(clients["executive"].get("/search?q=!!!"))


def test_register_q_reads_the_index(clients, corpus):
    """The register's q= is answered from the index: on SQLite the FTS5 table (an entry removed
    from it is no longer found), on PostgreSQL the trigram GIN index (the plan uses it)."""
    risk = corpus["title"]
    found = clients["executive"].get("/risks?q=siltation").get_data(as_text=True)
    assert f">{risk.ref}</a></td>" in found
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "DELETE FROM search_fts WHERE rowid = ?", (risk.id + index.DOCUMENTS["risk"].low,)
            )
        gone = clients["executive"].get("/risks?q=siltation").get_data(as_text=True)
        assert f">{risk.ref}</a></td>" not in gone
    else:
        from riskreg.risks.filters import RiskFilters, conditions

        stmt = sa.select(Risk.id).where(*conditions(RiskFilters(q="siltation")))
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        assert "ix_search_risks_substring" in plan


def test_export_takes_the_same_q(clients, corpus):
    from io import BytesIO

    from openpyxl import load_workbook

    response = clients["executive"].get("/export.xlsx?q=siltation")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data), read_only=True)["Register"]
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "Zanzibrook siltation" in cells and "Unrelated risk" not in cells


def _search_objects() -> set[str]:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master "
                "WHERE name LIKE 'search%' AND type IN ('table', 'trigger')"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT 'index', indexname, indexdef FROM pg_indexes "
                "WHERE starts_with(indexname, 'ix_search')"
            )
        return {" ".join(str(part) for part in row) for row in rows}


def test_migrations_build_the_same_index_as_the_models_and_backfill_it(app):
    """create_all (the tests) and the migrations (production) make the same search objects; the
    migration fills the index from the rows that were there before it."""
    from tests.test_migrations import empty_database

    built = _search_objects()
    assert built
    db.session.remove()
    empty_database()
    upgrade(revision="0014")
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(Site.__table__).values(
                name="Beforemigration site",
                country="Peru",
                description="",
                region="",
                commodity="",
                lifecycle="operating",
                asm_presence="none",
                asm_presence_source="observations",
                asm_presence_reason="",
                asm_approach="not_defined",
                active=True,
                version=1,
                created_at=sa.func.now(),
            )
        )
    upgrade()
    assert _search_objects() == built
    from riskreg.search import queries

    assert [hit.kind for hit in queries.search("beforemigration", ["site", "risk"]).hits["site"]] == ["site"]


@pytest.mark.parametrize("sort", ["-residual", "title", "-site", "owner", "review", "ref"])
def test_register_q_keeps_the_order_and_the_pages(clients, make_risk, make_site, sort):
    from tests.test_risks_views import refs, walk

    sites = [make_site(name=name) for name in ("Alpha", "Beta")]
    for n in range(7):
        make_risk(
            title=f"Tailings {n}" if n % 2 else f"Pond {n}",
            description="Seepage from the dam" if n % 3 == 0 else "Dust",
            site_id=sites[n % 2].id if n % 4 else None,
            residual_likelihood=1 + n % 4,
            next_review_date=date(2027, 1, 1 + n) if n % 3 else None,
        )
    everything = refs(clients["executive"].get(f"/risks?sort={sort}&per_page=50"))
    titles = {risk.ref: risk.title for risk in db.session.scalars(sa.select(Risk))}
    descriptions = {risk.ref: risk.description for risk in db.session.scalars(sa.select(Risk))}
    in_title = [r for r in everything if "tailings" in titles[r].lower()]
    in_text = [r for r in everything if "seepage" in descriptions[r].lower()]
    assert len(in_title) == 3 and len(in_text) == 3
    # the same risks in the same order as the unfiltered register, page by page (cursors or numbers)
    assert walk(clients["executive"], f"/risks?sort={sort}&per_page=2&q=TAILINGS") == in_title
    assert walk(clients["executive"], f"/risks?sort={sort}&per_page=2&q=seepage") == in_text
