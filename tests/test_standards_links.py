"""Risks and controls link to standard requirements: the risk form's multi-select and the control
link form, audited; an unknown requirement is refused with a message and nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.risks.models import Risk
from riskreg.standards import links
from tests.asm_helpers import load_catalogue, make_control
from tests.conftest import risk_form, text_of
from tests.edit_forms import edited, form_of


@pytest.fixture
def catalogue(app):
    load_catalogue()


def events(entity: str, entity_id: int) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


def test_risk_form_links_requirements_with_audit(catalogue, clients, users):
    client = clients["risk_manager"]
    owner = users["risk_manager"].id
    form = client.get("/risks/new").get_data(as_text=True)
    assert '<optgroup label="IRMA">' in form and 'value="IRMA-3.6"' in form
    response = client.post(
        "/risks/new", data=risk_form(owner_id=owner, requirements=["RJC-COP-35", "IRMA-3.6"])
    )
    assert response.status_code == 302
    risk = db.session.scalar(sa.select(Risk))
    assert links.linked_codes("risk", risk.id) == ["IRMA-3.6", "RJC-COP-35"]
    assert events("risk", risk.id)[0].changes["requirements"] == [None, ["IRMA-3.6", "RJC-COP-35"]]

    edit = client.get(f"/risks/{risk.id}/edit").get_data(as_text=True)
    assert '<option selected value="IRMA-3.6">' in edit or 'value="IRMA-3.6" selected' in edit
    version = risk.version
    url = f"/risks/{risk.id}/edit"
    response = client.post(url, data=edited(client, url, "risk-form", requirements=["IRMA-3.6"]))
    assert response.status_code == 302
    last = events("risk", risk.id)[-1]
    assert last.action == "update" and last.changes == {
        "requirements": [["IRMA-3.6", "RJC-COP-35"], ["IRMA-3.6"]]
    }
    assert db.session.get(Risk, risk.id).version == version + 1  # other editors see the change
    page = text_of(clients["executive"].get(f"/risks/{risk.id}"))
    assert "IRMA Chapter 3.6" in page and "RJC Provision 35" not in page


def test_unknown_requirement_on_the_risk_form_writes_nothing(catalogue, clients, users):
    data = risk_form(owner_id=users["risk_manager"].id, requirements=["IRMA-3.6", "NOPE-9"])
    response = clients["risk_manager"].post("/risks/new", data=data)
    assert response.status_code == 200
    assert "Unknown standard requirement(s): NOPE-9" in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Risk.id))) == 0


def test_services_refuse_unknown_codes_before_writing(catalogue, make_risk, users):
    from riskreg.risks import services

    risk = make_risk()
    with pytest.raises(services.RiskRuleError, match="NOPE-1"):
        services.update_risk(
            risk, {**_values(risk), "requirements": ["IRMA-3.6", "NOPE-1"]}, users["admin"], risk.version
        )
    db.session.rollback()
    assert links.linked_codes("risk", risk.id) == []
    with pytest.raises(links.LinkError, match="NOPE-2"):
        links.set_control_requirements(make_control(), ["NOPE-2"], users["admin"])


def _values(risk: Risk) -> dict:
    from riskreg.risks.services import EDITABLE_FIELDS

    return {name: getattr(risk, name) for name in EDITABLE_FIELDS}


def test_control_requirement_links_are_audited(catalogue, clients, make_risk):
    risk = make_risk()
    control = make_control("VPSHR training", risks=[risk])
    client = clients["risk_manager"]
    assert "VPSHR training" in text_of(client.get(f"/standards/controls/{control.id}/requirements"))
    url = f"/standards/controls/{control.id}/requirements"
    response = client.post(url, data=edited(client, url, "requirements-form", requirements=["VPSHR"]))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/risks/{risk.id}")
    assert links.linked_codes("control", control.id) == ["VPSHR"]
    event = events("control", control.id)[-1]
    assert event.action == "update" and event.changes == {"requirements": [[], ["VPSHR"]]}
    page = text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    assert f"{control.ref} VPSHR training VPSHR Link requirements" in page

    before = len(events("control", control.id))
    db.session.rollback()
    bad = client.post(url, data=edited(client, url, "requirements-form", requirements=["VPSHR", "ZZZ-1"]))
    assert bad.status_code == 200 and "Unknown standard requirement(s): ZZZ-1" in text_of(bad)
    assert links.linked_codes("control", control.id) == ["VPSHR"]
    assert len(events("control", control.id)) == before


def test_unknown_control_is_a_404(catalogue, clients):
    assert clients["risk_manager"].get("/standards/controls/999/requirements").status_code == 404


def test_two_editors_of_a_controls_links_do_not_overwrite_each_other(catalogue, clients, make_risk, users):
    risk = make_risk()
    control = make_control("VPSHR training", risks=[risk])
    url = f"/standards/controls/{control.id}/requirements"
    theirs = edited(clients["admin"], url, "requirements-form", requirements=["CRAFT"])
    mine = edited(clients["risk_manager"], url, "requirements-form", requirements=["VPSHR"])
    assert clients["admin"].post(url, data=theirs).status_code == 302
    late = clients["risk_manager"].post(url, data=mine)  # both changed the links: the late one chooses
    assert late.status_code == 200 and "Keep theirs for Standard requirements" in late.get_data(as_text=True)
    assert links.linked_codes("control", control.id) == ["CRAFT"]
    again = form_of(late.get_data(as_text=True), "requirements-form")
    assert clients["risk_manager"].post(url, data={**again, "keep-requirements": "yours"}).status_code == 302
    assert links.linked_codes("control", control.id) == ["VPSHR"]
