"""Coverage on /standards: gap, planned, covered as controls move; controls count at a site through
their risks; corporate controls in the Group column; engagements as evidence; the company's
frameworks setting; the workbook rows; query counts that do not grow with data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.controls.models import ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites import engagements
from riskreg.standards import links, settings
from riskreg.standards.coverage import (
    GROUP_LABEL,
    SHEET_HEADERS,
    coverage_matrix,
    coverage_sheet_rows,
    evidence_text,
)
from riskreg.standards.models import AppSetting, Requirement
from tests.asm_helpers import cell_state, count_queries, load_catalogue, make_control, set_status
from tests.conftest import text_of


@pytest.fixture
def catalogue(app):
    load_catalogue()


def cell(matrix, code: str, site_id):
    for block in matrix.frameworks:
        for row in block.rows:
            if row.requirement.code == code:
                return row.cells[site_id]
    raise AssertionError(code)


def page(client) -> str:
    return client.get("/standards").get_data(as_text=True)


def test_cell_moves_from_gap_to_planned_to_covered(catalogue, clients, make_site, make_risk):
    site = make_site(name="Nyota")
    risk = make_risk(site_id=site.id)
    client = clients["executive"]
    assert cell_state(page(client), "IRMA-3.6", "Nyota") == "gap"
    control = make_control("ASM engagement plan", risks=[risk], requirements=["IRMA-3.6"])
    assert cell_state(page(client), "IRMA-3.6", "Nyota") == "planned"
    set_status(control, ControlStatus.IN_PROGRESS)
    assert cell_state(page(client), "IRMA-3.6", "Nyota") == "covered"
    for status in (ControlStatus.IMPLEMENTED, ControlStatus.VERIFIED):
        set_status(control, status)
        assert cell(coverage_matrix(["IRMA"]), "IRMA-3.6", site.id).state == "covered"
    set_status(control, ControlStatus.CANCELLED)
    assert cell_state(page(client), "IRMA-3.6", "Nyota") == "gap"
    # other requirements and frameworks stay untouched
    assert cell_state(page(client), "RJC-COP-35", "Nyota") == "gap"


def test_controls_count_at_their_risks_sites_and_corporate_ones_in_the_group(catalogue, make_site, make_risk):
    north, south = make_site(name="North"), make_site(name="South")
    rjc = ["RJC-COP-35"]
    make_control(
        "Patrols", status=ControlStatus.IN_PROGRESS, risks=[make_risk(site_id=north.id)], requirements=rjc
    )
    make_control("Group ASM policy", status=ControlStatus.IMPLEMENTED, risks=[make_risk()], requirements=rjc)
    make_control("Unattached review", requirements=["RJC-ASM-SOURCING"])
    db.session.commit()
    matrix = coverage_matrix(["RJC"])
    assert [label for _, label in matrix.columns] == ["North", "South", GROUP_LABEL]
    assert cell(matrix, "RJC-COP-35", north.id).state == "covered"
    assert cell(matrix, "RJC-COP-35", south.id).state == "gap"
    assert cell(matrix, "RJC-COP-35", None).state == "covered"
    assert cell(matrix, "RJC-ASM-SOURCING", None).state == "planned"
    assert cell(matrix, "RJC-ASM-SOURCING", north.id).state == "gap"


def test_engagements_and_risks_are_shown_as_evidence(catalogue, clients, make_site, make_risk):
    site = make_site(name="Rio Seco")
    risk = make_risk(site_id=site.id)
    links.set_risk_requirements(risk, ["ICMM-PE-9.4"])
    db.session.commit()
    control = make_control(
        "REINFO support", "Community Relations", ControlStatus.IN_PROGRESS, [risk], ["ICMM-PE-9.4"]
    )
    engagements.add_engagement(
        site,
        {
            "held_on": today(),
            "stakeholder_group": "asm_cooperative",
            "mode": "direct",
            "topics": "Formalisation steps",
            "follow_up_controls": [control.id],
        },
        actor=None,
    )
    db.session.commit()
    found = cell(coverage_matrix(["ICMM"]), "ICMM-PE-9.4", site.id)
    assert (found.state, found.active, found.risks, found.engagements) == ("covered", 1, 1, 1)
    requirement = db.session.scalar(sa.select(Requirement).where(Requirement.code == "ICMM-PE-9.4"))
    detail = text_of(clients["executive"].get(f"/standards/requirements/{requirement.id}"))
    assert "REINFO support" in detail and "ASM cooperative or association" in detail and risk.ref in detail
    assert "What an assessor looks for" in detail and "2018" in detail


def test_the_company_frameworks_setting_filters_the_page(catalogue, clients, users):
    default = page(clients["executive"])
    assert "IRMA <span" in default and "VPSHR <span" not in default  # core frameworks until chosen
    response = clients["admin"].post("/standards/settings", data={"frameworks": ["IRMA", "RJC"]})
    assert response.status_code == 302
    filtered = page(clients["executive"])
    assert "IRMA <span" in filtered and "RJC <span" in filtered and "GRI <span" not in filtered
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == settings.AUDIT_ENTITY))
    assert event.actor_id == users["admin"].id and event.changes["frameworks"][1] == ["IRMA", "RJC"]
    headers, rows = coverage_sheet_rows()
    assert {row[0] for row in rows} == {"IRMA", "RJC"}


@pytest.mark.parametrize(
    ("data", "message"),
    [({"frameworks": ["IRMA", "Nope"]}, "Unknown framework(s): Nope"), ({}, "Choose at least one framework")],
)
def test_bad_framework_settings_write_nothing(catalogue, clients, data, message):
    response = clients["admin"].post("/standards/settings", data=data)
    assert response.status_code == 200 and message in text_of(response)
    db.session.rollback()
    assert db.session.get(AppSetting, settings.SETTING_KEY) is None


def test_framework_filter_in_the_address(catalogue, clients):
    only = clients["executive"].get("/standards?framework=OECD").get_data(as_text=True)
    assert "OECD <span" in only and "IRMA <span" not in only
    bad = clients["executive"].get("/standards?framework=Nope")
    assert bad.status_code == 400 and "Unknown framework(s): Nope" in text_of(bad)


def test_coverage_sheet_rows(catalogue, make_site, make_risk):
    site = make_site(name="Kestrel")
    control = make_control("Group procedure", requirements=["OECD-DDG-ANNEXII"], risks=[make_risk()])
    headers, rows = coverage_sheet_rows(["OECD"])
    assert headers == SHEET_HEADERS
    assert len(rows) == 2 * 2  # two OECD requirements x (one site + Group)
    by_key = {(row[1], row[5]): row for row in rows}
    assert by_key[("OECD-DDG-ANNEXII", GROUP_LABEL)][6:9] == ["Planned only", 0, 1]
    assert by_key[("OECD-DDG-ANNEXII", GROUP_LABEL)][12] == f"{control.ref} (Planned)"
    assert by_key[("OECD-DDG-ANNEXII", site.name)][6] == "Gap"
    assert by_key[("OECD-DDG-ANNEXII", site.name)][11:] == [None, ""]


def test_coverage_sheet_lists_the_evidence_and_keeps_it_within_a_cell(catalogue, make_site, make_risk):
    site = make_site(name="Kestrel")
    risk = make_risk(site_id=site.id)
    first = make_control("Patrols", status=ControlStatus.IN_PROGRESS, risks=[risk], requirements=["IRMA-3.6"])
    second = make_control("Liaison plan", risks=[risk], requirements=["IRMA-3.6"])
    make_control("Dropped idea", status=ControlStatus.CANCELLED, risks=[risk], requirements=["IRMA-3.6"])
    engagements.add_engagement(
        site,
        {
            "held_on": today(),
            "stakeholder_group": "asm_cooperative",
            "mode": "direct",
            "topics": "Boundaries",
            "follow_up_controls": [first.id],
        },
        actor=None,
    )
    db.session.commit()
    _, rows = coverage_sheet_rows(["IRMA"])
    row = next(r for r in rows if r[1] == "IRMA-3.6" and r[5] == "Kestrel")
    assert row[6:11] == ["Covered", 1, 1, 0, 1] and row[11] == today()  # the risk is not linked
    assert row[12] == f"{first.ref} (In progress), {second.ref} (Planned)"  # cancelled ones never count

    many = [f"C-{n:05d} (In progress)" for n in range(2_000)]
    listed = evidence_text(many, 7)
    assert len(listed) < 32_767 and listed.startswith("C-00000 (In progress), C-00001")
    shown = listed.split(", … and ")[0].count(", ") + 1
    assert listed.endswith(f"… and {2_000 - shown} more (all of them at /standards/requirements/7)")
    assert evidence_text(many[:3], 7) == ", ".join(many[:3])


def standards_queries(client) -> int:
    with count_queries() as statements:
        assert client.get("/standards").status_code == 200
    return len(statements)


def test_query_count_does_not_grow_with_data(catalogue, clients, make_site, make_risk):
    client = clients["executive"]
    site = make_site(name="First")
    make_control("One", requirements=["IRMA-3.6"], risks=[make_risk(site_id=site.id)])
    small = standards_queries(client)
    for number in range(5):
        other = make_site(name=f"Site {number}")
        risk = make_risk(site_id=other.id)
        make_control(
            f"Control {number}", status=ControlStatus.IN_PROGRESS, risks=[risk], requirements=["RJC-COP-35"]
        )
        engagements.add_engagement(
            other,
            {"held_on": today(), "stakeholder_group": "traders", "mode": "direct", "topics": "x"},
            actor=None,
        )
    db.session.commit()
    assert standards_queries(client) == small
