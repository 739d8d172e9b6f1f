"""Two people edit the same record in two tabs: a save made meanwhile is merged in, field by field;
only a field both changed to different values asks whose value to keep. Every versioned form needs
its version and its signed base (the values it was opened with): without them, a 400."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.controls.models import Control, ControlStatus
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk
from riskreg.sites.models import Site
from riskreg.standards import links
from tests.asm_helpers import load_catalogue
from tests.conftest import text_of as page_text
from tests.controls_support import new_control
from tests.edit_forms import edited, form_of, opened


def text_of(response) -> str:
    return html.unescape(page_text(response))  # names with apostrophes ("Ada Admin's")


def stored(model: type, ident: int) -> Any:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def updates(entity: str, ident: int) -> list[AuditEvent]:
    db.session.rollback()
    stmt = sa.select(AuditEvent).where(
        AuditEvent.entity == entity, AuditEvent.entity_id == ident, AuditEvent.action == "update"
    )
    return list(db.session.scalars(stmt.order_by(AuditEvent.id)))


def asked(response) -> list[str]:
    """The fields the conflict panel asks about (one theirs/yours pair each)."""
    return sorted(set(re.findall(r'name="keep-([a-z_]+)"', response.get_data(as_text=True))))


@pytest.mark.parametrize("same_person", [False, True], ids=["two users", "one user twice"])
def test_two_tabs_keep_both_peoples_edits(clients, make_risk, users, same_person):
    """The repro of issue 10: tab 1 saves title and residual likelihood (2 -> 3), tab 2 then saves
    description and residual impact; nothing of tab 1 is reverted and both updates are audited."""
    # Tab 1's score change is a reassessment (riskreg.reviews): it moves the next review date on by
    # the band's cadence, a change of theirs that tab 2 keeps too.
    risk = make_risk(residual_likelihood=2, residual_impact=3, next_review_date=today() + timedelta(days=7))
    url = f"/risks/{risk.id}/edit"
    first, second = (
        (clients["risk_manager"], clients["risk_manager"])
        if same_person
        else (
            clients["admin"],
            clients["risk_manager"],
        )
    )
    tab1, tab2 = opened(first, url, "risk-form"), opened(second, url, "risk-form")
    tab1.update(title="Encroachment by 300 miners on the northern lease", residual_likelihood="3")
    tab2.update(description="Pits now reach the haul road.", residual_impact="2")
    assert first.post(url, data=tab1).status_code == 302

    response = second.post(url, data=tab2, follow_redirects=True)
    assert response.status_code == 200
    who = "Rhea Risk" if same_person else "Ada Admin"
    assert (
        f"{risk.ref} saved; kept {who}'s change to Title, Residual likelihood and Next review, "
        "and yours to Description and Residual impact."
    ) in text_of(response)
    saved = stored(Risk, risk.id)
    assert (saved.title, saved.residual_likelihood) == ("Encroachment by 300 miners on the northern lease", 3)
    assert (saved.description, saved.residual_impact) == ("Pits now reach the haul road.", 2)
    first_update, second_update = updates("risk", risk.id)
    # and when the residual was assessed, unless that stayed within the same second
    assert set(first_update.changes) - {"residual_assessed_at"} == {"title", "residual_likelihood"}
    assert first_update.changes["residual_likelihood"] == [2, 3]
    assert set(second_update.changes) - {"residual_assessed_at"} == {"description", "residual_impact"}
    assert second_update.changes["residual_impact"] == [3, 2]


@pytest.mark.parametrize("choice", ["theirs", "yours"])
def test_a_field_both_changed_asks_and_nothing_else_does(clients, make_risk, choice):
    risk = make_risk(residual_likelihood=2, next_review_date=today() + timedelta(days=7))
    url = f"/risks/{risk.id}/edit"
    tab1, tab2 = opened(clients["admin"], url, "risk-form"), opened(clients["risk_manager"], url, "risk-form")
    tab1.update(title="Their title", residual_likelihood="3")
    tab2.update(title="My title", description="My description")
    assert clients["admin"].post(url, data=tab1).status_code == 302

    response = clients["risk_manager"].post(url, data=tab2)
    assert response.status_code == 200
    page, text = response.get_data(as_text=True), text_of(response)
    assert asked(response) == ["title"]  # only the field both changed
    assert not re.search(r'name="keep-title"[^>]*checked', page)  # nothing pre-chosen
    assert "Ada Admin saved this risk while you were editing" in text
    assert "Their change to Residual likelihood and Next review is now in the form" in text
    assert "Your change to Description is kept in the form" in text
    assert "Nothing has been overwritten" not in text
    again = form_of(page, "risk-form")
    assert (again["title"], again["residual_likelihood"], again["description"]) == (
        "My title",
        "3",
        "My description",
    )
    assert again["version"] == str(stored(Risk, risk.id).version) and again["base"] != tab2["base"]
    assert stored(Risk, risk.id).title == "Their title"  # nothing of this editor saved yet

    unchosen = clients["risk_manager"].post(url, data=again)
    assert unchosen.status_code == 200 and "Choose whose value to keep" in text_of(unchosen)
    assert stored(Risk, risk.id).description == "Pits opened inside the lease."

    assert clients["risk_manager"].post(url, data={**again, "keep-title": choice}).status_code == 302
    saved = stored(Risk, risk.id)
    assert saved.title == {"theirs": "Their title", "yours": "My title"}[choice]
    assert (saved.residual_likelihood, saved.description) == (3, "My description")
    assert len(updates("risk", risk.id)) == 2


def test_both_making_the_same_change_is_no_conflict(clients, make_risk):
    risk = make_risk()
    url = f"/risks/{risk.id}/edit"
    tab1, tab2 = opened(clients["admin"], url, "risk-form"), opened(clients["risk_manager"], url, "risk-form")
    assert clients["admin"].post(url, data=dict(tab1, title="Agreed title")).status_code == 302
    response = clients["risk_manager"].post(url, data=dict(tab2, title="Agreed title", cause="Price"))
    assert response.status_code == 302
    saved = stored(Risk, risk.id)
    assert (saved.title, saved.cause) == ("Agreed title", "Price")


def test_requirement_links_merge_like_any_field(clients, make_risk):
    load_catalogue()
    risk = make_risk()
    url = f"/risks/{risk.id}/edit"
    tab1, tab2 = opened(clients["admin"], url, "risk-form"), opened(clients["risk_manager"], url, "risk-form")
    assert clients["admin"].post(url, data=dict(tab1, requirements=["VPSHR", "IRMA-3.6"])).status_code == 302
    assert clients["risk_manager"].post(url, data=dict(tab2, title="Renamed")).status_code == 302
    assert links.linked_codes("risk", risk.id) == ["IRMA-3.6", "VPSHR"]  # theirs kept
    assert stored(Risk, risk.id).title == "Renamed"

    tab3, tab4 = opened(clients["admin"], url, "risk-form"), opened(clients["risk_manager"], url, "risk-form")
    assert clients["admin"].post(url, data=dict(tab3, requirements=["VPSHR"])).status_code == 302
    response = clients["risk_manager"].post(url, data=dict(tab4, requirements=["CRAFT"]))
    assert asked(response) == ["requirements"]
    choose = {**form_of(response.get_data(as_text=True), "risk-form"), "keep-requirements": "yours"}
    assert clients["risk_manager"].post(url, data=choose).status_code == 302
    assert links.linked_codes("risk", risk.id) == ["CRAFT"]


@dataclass
class Page:
    url: str
    marker: str
    model: type
    theirs: dict[str, str]  # what the first tab changes
    yours: dict[str, str]  # what the second tab changes
    clash: str  # a field both change, in the conflict case
    checks: dict[str, Any] = field(default_factory=dict)  # attribute: value once both are merged


@pytest.fixture
def pages(make_risk, make_site, users):
    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", title="Fence the pad")
    site = make_site(name="Geita", region="Geita", commodity="Gold")
    return {
        "risk": (
            risk.id,
            Page(
                f"/risks/{risk.id}/edit",
                "risk-form",
                Risk,
                {"title": "Theirs"},
                {"cause": "Mine"},
                "title",
                {"title": "Theirs", "cause": "Mine"},
            ),
        ),
        "control": (
            control.id,
            Page(
                f"/controls/{control.id}/edit",
                "control-form",
                Control,
                {"title": "Fence and light the pad"},
                {"due_date": "2027-05-31"},
                "title",
                {"title": "Fence and light the pad", "due_date": date(2027, 5, 31)},
            ),
        ),
        "site": (
            site.id,
            Page(
                f"/sites/{site.id}/edit",
                "site-form",
                Site,
                {"region": "Mwanza"},
                {"commodity": "Gold, silver"},
                "region",
                {"region": "Mwanza", "commodity": "Gold, silver"},
            ),
        ),
    }


@pytest.mark.parametrize("which", ["risk", "control", "site"])
def test_each_edit_page_merges_a_save_made_meanwhile(clients, pages, which):
    ident, page = pages[which]
    tab1, tab2 = (
        opened(clients["admin"], page.url, page.marker),
        opened(clients["admin"], page.url, page.marker),
    )
    assert clients["admin"].post(page.url, data={**tab1, **page.theirs}).status_code == 302
    response = clients["admin"].post(page.url, data={**tab2, **page.yours}, follow_redirects=True)
    assert "kept Ada Admin's change to" in text_of(response)
    saved = stored(page.model, ident)
    assert {name: getattr(saved, name) for name in page.checks} == page.checks


@pytest.mark.parametrize("which", ["risk", "control", "site"])
def test_each_edit_page_asks_only_for_the_field_both_changed(clients, pages, which):
    ident, page = pages[which]
    tab1, tab2 = (
        opened(clients["admin"], page.url, page.marker),
        opened(clients["admin"], page.url, page.marker),
    )
    assert clients["admin"].post(page.url, data={**tab1, **page.theirs}).status_code == 302
    response = clients["admin"].post(page.url, data={**tab2, **page.yours, page.clash: "Both changed it"})
    assert response.status_code == 200 and asked(response) == [page.clash]
    again = form_of(response.get_data(as_text=True), page.marker)
    assert clients["admin"].post(page.url, data=again).status_code == 200  # no choice made
    assert clients["admin"].post(page.url, data={**again, f"keep-{page.clash}": "yours"}).status_code == 302
    saved = stored(page.model, ident)
    assert getattr(saved, page.clash) == "Both changed it"
    other = next(iter(page.yours))
    assert getattr(saved, other) == page.checks[other]


def test_a_control_edited_while_its_department_starts_it_is_saved(clients, users):
    """Starting the control moves its version but changes no field of the edit form."""
    control = new_control(users["risk_manager"], "Security", title="Fence the pad")
    url = f"/controls/{control.id}/edit"
    form = edited(clients["risk_manager"], url, "control-form", description="Chain-link, 2 m")
    started = clients["department_head"].post(
        f"/controls/{control.id}/start", data={"version": control.version}
    )
    assert started.status_code == 302
    assert clients["risk_manager"].post(url, data=form).status_code == 302
    saved = stored(Control, control.id)
    assert (saved.status, saved.description) == (ControlStatus.IN_PROGRESS, "Chain-link, 2 m")


DEFECTS = ["no version", "version abc", "version moved", "no base", "tampered base", "another record's base"]


def damaged(form: dict[str, Any], defect: str, foreign: dict[str, Any]) -> dict[str, Any]:
    form = dict(form)
    if defect == "no version":
        del form["version"]
    elif defect == "version abc":
        form["version"] = "abc"
    elif defect == "version moved":
        form["version"] = str(int(form["version"]) + 1)
    elif defect == "no base":
        del form["base"]
    elif defect == "tampered base":
        token = form["base"]
        form["base"] = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]
    else:
        form["base"] = foreign["base"]
    return form


@pytest.fixture
def versioned(make_risk, make_site, users):
    """Each versioned edit page of two records: (url, form marker, the other record's url)."""
    load_catalogue()
    risks = [make_risk(), make_risk()]
    controls = [new_control(users["risk_manager"], "Security") for _ in range(2)]
    sites = [make_site(), make_site()]
    return {
        "risk": [(f"/risks/{r.id}/edit", "risk-form") for r in risks],
        "control": [(f"/controls/{c.id}/edit", "control-form") for c in controls],
        "site": [(f"/sites/{s.id}/edit", "site-form") for s in sites],
        "presence": [(f"/sites/{s.id}/presence", "presence-form") for s in sites],
        "control requirements": [
            (f"/standards/controls/{c.id}/requirements", "requirements-form") for c in controls
        ],
    }


@pytest.mark.parametrize("defect", DEFECTS)
@pytest.mark.parametrize("which", ["risk", "control", "site", "presence", "control requirements"])
def test_a_post_without_its_version_or_base_is_a_400(clients, versioned, which, defect):
    (url, marker), (other_url, _) = versioned[which]
    client = clients["admin"]
    form, foreign = opened(client, url, marker), opened(client, other_url, marker)
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = client.post(url, data=damaged(form, defect, foreign))
    assert response.status_code == 400
    assert "Nothing was saved" in text_of(response) and "reload the page" in text_of(response)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


def test_a_base_signed_for_another_form_is_refused(clients, make_site):
    site = make_site()
    presence = opened(clients["admin"], f"/sites/{site.id}/presence", "presence-form")
    form = edited(clients["admin"], f"/sites/{site.id}/edit", "site-form", base=presence["base"])
    assert clients["admin"].post(f"/sites/{site.id}/edit", data=form).status_code == 400
