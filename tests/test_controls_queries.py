"""The number of SQL statements a control page makes does not grow with the number of controls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import statements
from tests.controls_support import new_control

DEPARTMENTS = ("Security", "Legal", "Environment", "Community Relations", "Supply Chain")


@pytest.fixture
def grow(users, make_risk, make_site) -> Callable[[int], None]:
    site = make_site()
    made = {"n": 0}

    def to(total: int) -> None:
        while made["n"] < total:
            n = made["n"]
            risk = make_risk(title=f"Risk {n}", site_id=site.id if n % 2 else None)
            new_control(
                users["risk_manager"],
                "Security" if n % 2 == 0 else DEPARTMENTS[n % len(DEPARTMENTS)],
                [risk],
                title=f"Control {n}",
                due_date=date.today() + timedelta(days=n - 10),
                owner_id=None if n % 2 == 0 else users["risk_manager"].id,  # only Security has a head
            )
            made["n"] += 1

    return to


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("executive", "/controls"),
        ("executive", "/controls?status=open&overdue=1&due_within=30"),
        ("department_head", "/controls/mine"),
    ],
)
def test_query_count_does_not_grow_with_controls(clients, grow, role, path):
    client = clients[role]
    counts = []
    for total in (5, 50):
        grow(total)
        with statements() as seen:
            response = client.get(path)
        assert response.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 15, counts


def test_control_and_risk_pages_make_few_queries(clients, users, make_risk):
    risk = make_risk()
    controls = [new_control(users["risk_manager"], "Security", [risk], title=f"C{n}") for n in range(20)]
    with statements() as seen:
        assert clients["risk_manager"].get(f"/risks/{risk.id}").status_code == 200
    assert len(seen) <= 21, len(seen)  # 20, and one for the comments thread
    with statements() as seen:
        assert clients["executive"].get(f"/controls/{controls[0].id}").status_code == 200
    assert len(seen) <= 20, len(seen)


def requirement_reads(seen: list[str]) -> list[str]:
    """The statements that read a risk's requirements (a selectin loader's or a plain one)."""
    return [s for s in seen if s.lstrip().startswith(("SELECT requirements.", "SELECT risk_requirements."))]


def control_reads(seen: list[str]) -> list[str]:
    starts = ("SELECT controls.", "SELECT risk_controls.risk_id, controls.")
    return [s for s in seen if s.lstrip().startswith(starts)]


def test_risk_page_reads_its_controls_and_requirements_only_when_it_has_them(app, clients, users, make_risk):
    from riskreg.extensions import db
    from riskreg.standards import links
    from riskreg.standards.models import Requirement
    from tests.asm_helpers import load_catalogue

    load_catalogue()
    bare, linked = make_risk(title="Bare risk"), make_risk(title="Linked risk")
    codes = ["RJC-COP-35", "IRMA-3.6"]
    links.set_risk_requirements(linked, codes)
    for days in (30, 5, 90):  # made out of their due order
        new_control(
            users["risk_manager"],
            "Security",
            [linked],
            title=f"Due in {days} days",
            due_date=date.today() + timedelta(days=days),
        )
    db.session.commit()
    client = clients["risk_manager"]

    def page(risk) -> tuple[str, list[str]]:
        with statements() as seen:
            response = client.get(f"/risks/{risk.id}")
        assert response.status_code == 200
        return response.get_data(as_text=True), seen

    html, seen = page(linked)
    # Its controls in due order, each with its department; both requirements with their titles.
    order = [html.index(f"Due in {days} days") for days in (5, 30, 90)]
    assert order == sorted(order)
    section = html[html.index('id="standards"') :]
    for requirement in db.session.scalars(sa.select(Requirement).where(Requirement.code.in_(codes))):
        assert f'<a href="/standards/requirements/{requirement.id}"><strong>' in section
        assert f"{requirement.framework_key} {requirement.identifier}" in section
    assert "Not linked to any standard requirement." not in html
    assert len(requirement_reads(seen)) == 1 and len(control_reads(seen)) == 1

    html, seen = page(bare)
    assert "Not linked to any standard requirement." in html
    assert not requirement_reads(seen) and not control_reads(seen)
