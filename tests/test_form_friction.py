"""Less friction in the forms: the template picker, the score preview and the matrix's words beside
the choices, YYYY-MM-DD dates in every input, labels in the History, a favicon."""

from __future__ import annotations

import json
import re

import pytest

from riskreg import scoring
from riskreg.controls.models import Control
from riskreg.labels import enum_fields, label_of
from riskreg.risks.models import Risk
from tests.conftest import risk_form, text_of


def picker_codes(response) -> list[str]:
    return re.findall(r'href="/risks/new\?template=([A-Z0-9]+)', response.get_data(as_text=True))


def test_the_register_and_the_new_risk_page_open_the_template_picker(clients):
    assert 'href="/risks/new/template"' in clients["risk_manager"].get("/risks").get_data(as_text=True)
    assert 'href="/risks/new/template"' in clients["risk_manager"].get("/risks/new").get_data(as_text=True)
    assert "/risks/new/template" not in clients["executive"].get("/risks").get_data(as_text=True)


def test_the_picker_filters_on_the_server_by_words_direction_and_category(clients):
    client = clients["risk_manager"]
    every = picker_codes(client.get("/risks/new/template"))
    assert len(every) == 39 and "39 of 39 templates" in text_of(client.get("/risks/new/template"))
    mercury = picker_codes(client.get("/risks/new/template?q=Mercury"))
    assert mercury and len(mercury) < 5
    to_asm = client.get("/risks/new/template?direction=to_asm")
    assert (
        0 < len(picker_codes(to_asm)) < 39
        and "To the company" not in text_of(to_asm).split("templates", 2)[-1]
    )
    both = picker_codes(
        client.get("/risks/new/template?direction=to_company&category=Land+Access+%26+Tenure")
    )
    assert both == ["A01"]
    none = client.get("/risks/new/template?q=zzzz")
    assert "No template matches" in text_of(none)
    with_site = client.get("/risks/new/template?q=A01&site=7").get_data(as_text=True)
    assert 'href="/risks/new?template=A01&amp;site=7"' in with_site


@pytest.mark.parametrize("query", ["direction=sideways", "category=Nope", "site=abc"])
def test_a_bad_filter_says_so_and_shows_all(clients, query):
    response = clients["risk_manager"].get(f"/risks/new/template?{query}")
    assert response.status_code == 400 and len(picker_codes(response)) == 39
    assert "There is no" in text_of(response) or "must be a site id" in text_of(response)


def test_the_picker_is_compact_one_line_per_template(clients):
    html = clients["risk_manager"].get("/risks/new/template").get_data(as_text=True)
    assert "<table" not in html and html.count("<li>") >= 39
    assert "Boundary demarcation and signage" not in html  # suggested controls stay on the full page


def test_the_form_shows_each_scores_band_beside_its_choices_and_the_matrix_as_data(clients):
    page = clients["risk_manager"].post("/risks/new", data=risk_form(title=""))  # refused: the form again
    html = page.get_data(as_text=True)
    matrix = scoring.matrix()
    inherent = matrix.band_for(4, 4, True)
    pair = html.split('data-pair="inherent"')[1].split('data-pair="residual"')[0]
    assert f"16 · {inherent.label}" in pair
    assert "choose both levels" in html.split('data-pair="target"')[1]
    data = json.loads(re.search(r'data-matrix="([^"]+)"', html).group(1).replace("&#34;", '"'))
    assert data["people"]["1,5"] == matrix.band_for(1, 5, True).key
    assert data["cells"]["1,5"] == matrix.band_for(1, 5, False).key
    assert re.search(r'<script src="/static/js/score-preview\.js\?v=[0-9a-f]+" defer></script>', html)
    assert "<script>" not in html  # no inline script: the CSP allows 'self' only
    assert html.index("What the levels and bands mean") < html.index('type="submit" class="button primary"')


def test_the_preview_script_is_served_by_the_app(client):
    with client.get("/static/js/score-preview.js") as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert b"matrix.people" in response.data


def test_date_inputs_are_yyyy_mm_dd_text_everywhere(clients, make_risk):
    risk = make_risk()
    form = clients["risk_manager"].get(f"/risks/{risk.id}/edit").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="next_review_date"[^>]*>', form).group(0)
    assert (
        'type="text"' in field
        and 'placeholder="YYYY-MM-DD"' in field
        and 'pattern="\\d{4}-\\d{2}-\\d{2}"' in field
    )
    register = clients["risk_manager"].get("/risks").get_data(as_text=True)
    assert 'type="date"' not in register and 'type="date"' not in form
    refused = clients["risk_manager"].post("/risks/new", data=risk_form(next_review_date="01/03/2027"))
    assert "enter it as YYYY-MM-DD" in text_of(refused)


def test_the_history_shows_labels_not_stored_codes(clients, make_risk):
    from riskreg.risks.models import Direction, Treatment

    risk = make_risk(direction=Direction.TO_COMPANY, treatment=Treatment.REDUCE)
    clients["risk_manager"].post(
        f"/risks/{risk.id}/edit",
        data=risk_form(
            title=risk.title,
            direction="to_asm",
            treatment="avoid",
            version=risk.version,
            **{
                "base": clients["risk_manager"]
                .get(f"/risks/{risk.id}/edit")
                .get_data(as_text=True)
                .split('name="base" type="hidden" value="')[1]
                .split('"')[0]
            },
        ),
    )
    history = clients["risk_manager"].get(f"/risks/{risk.id}").get_data(as_text=True).split('id="history"')[1]
    assert "To the company" in history and "To ASM miners" in history and "Reduce" in history
    assert "to_company" not in history and ">reduce<" not in history


def test_every_enum_field_of_risks_and_controls_has_its_labels():
    from riskreg.extensions import db  # noqa: F401  (models loaded by the app fixture's import)

    for entity, model in (("risk", Risk), ("control", Control)):
        columns = {
            c.key for c in model.__table__.columns if hasattr(c.type, "enum_class") and c.type.enum_class
        }
        assert columns and columns <= enum_fields(entity).keys()
        for name in columns:
            for member in enum_fields(entity)[name]:
                assert label_of(member.value, name, entity) == member.label
    assert label_of("to_communities", "direction", "risk") == "To communities and stakeholders"
    assert label_of(None) == "—" and label_of(True) == "Yes"


def test_a_favicon_is_served_and_linked(client, clients):
    html = clients["executive"].get("/me").get_data(as_text=True)
    assert re.search(
        r'<link rel="icon" href="/static/img/favicon\.svg\?v=[0-9a-f]+" type="image/svg\+xml">', html
    )
    assert re.search(r'<link rel="icon" href="/static/img/favicon\.ico\?v=[0-9a-f]+" sizes="32x32">', html)
    with client.get("/static/img/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    with client.get("/favicon.ico") as ico:  # signed out too: browsers ask before anyone signs in
        assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
