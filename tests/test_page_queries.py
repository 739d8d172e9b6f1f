"""The register and the tracker send the same number of SQL statements at 10 and at 200 risks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from riskreg.modeling import today
from riskreg.risks.models import Direction
from tests.conftest import statements
from tests.controls_support import new_control

DIRECTIONS = list(Direction)


@pytest.fixture
def grow_register(users, make_risk, make_site):
    """Adds risks (each with a control, spread over sites, directions and scores) up to a total."""
    sites = [make_site(), make_site()]
    made: list = []

    def grow(total: int) -> None:
        while len(made) < total:
            n = len(made)
            risk = make_risk(
                title=f"Risk {n}",
                site_id=sites[n % 2].id if n % 3 else None,
                direction=DIRECTIONS[n % 3],
                inherent_likelihood=5,
                inherent_impact=5,
                residual_likelihood=1 + n % 5,
                residual_impact=1 + (n // 5) % 5,
            )
            new_control(
                users["risk_manager"],
                ("Security", "Community Relations")[n % 2],
                [risk],
                title=f"Control {n}",
                owner_id=users["risk_manager"].id,
                due_date=today() + timedelta(days=n - 100),  # some overdue, some not
            )
            made.append(risk)

    return grow


@pytest.mark.parametrize(
    "path",
    [
        "/risks",
        "/risks?sort=title&q=Risk",
        "/risks?direction=to_asm&status=open",
        "/controls",
        "/controls?status=open&overdue=1",
    ],
)
def test_page_queries_do_not_grow_from_10_to_200_risks(clients, grow_register, path):
    counts = []
    for total in (10, 200):
        grow_register(total)
        with statements(sql_only=True) as seen:
            response = clients["risk_manager"].get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts.append(len(seen))
    assert counts[0] == counts[1], (path, counts)
    assert counts[1] <= 15, (path, counts)
