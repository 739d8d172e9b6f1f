"""An import confirm writes in bulk: its statements do not grow with the rows of the file (an 8,000-row
confirm used to send several statements per row and hold SQLite's write lock for half a minute)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.risks.models import Risk
from tests.conftest import statements
from tests.xlsx_files import append_row, edited, export, set_cell, token_of, upload

# What a new row must judge: the scores, the consequence area and the treatment (nothing defaults them).
JUDGEMENTS = {
    "Consequence area": "Environment",
    "Treatment": "Reduce",
    "Inherent likelihood": 3,
    "Inherent impact": 3,
    "Residual likelihood": 2,
    "Residual impact": 2,
}


def confirm_statements(client, risks: list[Risk], new_rows: int) -> list[str]:
    def change(ws):
        for risk in risks:
            set_cell(ws, risk.ref, "Title", f"Reviewed {risk.ref}")
        for n in range(new_rows):
            append_row(
                ws,
                Title=f"New {n}",
                Direction="to_asm",
                Category="Environment",
                Owner="Rhea Risk",
                **JUDGEMENTS,
            )

    token = token_of(upload(client, edited(export(client), change)))
    with statements(sql_only=True) as sent:
        assert client.post("/import/confirm", data={"token": token}).status_code == 302
    return [s for s in sent if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


@pytest.mark.parametrize("size", [3, 30])
def test_the_writes_of_a_confirm_do_not_grow_with_its_rows(clients, make_risk, size):
    risks = [make_risk(title=f"Risk {n}") for n in range(size)]
    writes = confirm_statements(clients["risk_manager"], risks, new_rows=size)
    # one UPDATE of the changed risks and their events; one INSERT of the new ones, their refs, events
    assert len(writes) == 5, writes
    db.session.rollback()
    titles = [r.title for r in db.session.scalars(sa.select(Risk).order_by(Risk.id))]
    assert titles == [f"Reviewed {r.ref}" for r in risks] + [f"New {n}" for n in range(size)]
