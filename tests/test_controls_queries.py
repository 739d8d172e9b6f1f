"""The number of SQL statements a control page makes does not grow with the number of controls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

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
