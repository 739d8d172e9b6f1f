"""The three-way merge: pure, and on real risks, controls and sites saved through their services.

Every combination for one field: nobody changed it, only they did, only you did, both to different
values (the only conflict) and both to the same value (no conflict)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from riskreg.controls import services as control_services
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.merge import comparable, three_way
from riskreg.risks import services as risk_services
from riskreg.risks.models import RiskStatus, Treatment
from riskreg.risks.queries import risk_with_links
from riskreg.sites import services as site_services
from riskreg.sites.models import Lifecycle, Site
from tests.controls_support import new_control

FIELDS = ("title", "status", "due")
BASE = {"title": "Fence", "status": "open", "due": "2027-01-31"}

# name: (theirs, yours, merged title, kept theirs, kept yours, conflicts)
COMBINATIONS = {
    "none": (None, None, "Fence", (), (), ()),
    "only theirs": ("Theirs", None, "Theirs", ("title",), (), ()),
    "only yours": (None, "Yours", "Yours", (), ("title",), ()),
    "both, different": ("Theirs", "Yours", "Yours", (), (), ("title",)),
    "both, the same": ("Same", "Same", "Same", (), (), ()),
}


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_combination_of_one_field(combination):
    theirs_title, yours_title, merged, kept_theirs, kept_yours, conflicts = COMBINATIONS[combination]
    theirs = dict(BASE, title=theirs_title or BASE["title"])
    yours = dict(BASE, title=yours_title or BASE["title"])
    merge = three_way(FIELDS, BASE, theirs, yours)
    assert merge.values["title"] == merged
    assert (merge.theirs, merge.yours, merge.conflicts) == (kept_theirs, kept_yours, conflicts)
    assert merge.clean is not conflicts
    assert {k: v for k, v in merge.values.items() if k != "title"} == {"status": "open", "due": "2027-01-31"}


def test_fields_merge_independently():
    theirs = dict(BASE, title="Theirs")
    yours = dict(BASE, status="closed", due="2027-06-30")
    merge = three_way(FIELDS, BASE, theirs, yours)
    assert merge.values == {"title": "Theirs", "status": "closed", "due": "2027-06-30"}
    assert (merge.theirs, merge.yours, merge.conflicts) == (("title",), ("status", "due"), ())


def test_stored_values_compare_with_the_json_base():
    """The base comes back from JSON; theirs and yours are Python values (enums, dates)."""
    base = {"status": "open", "due": "2027-01-31", "codes": ["B", "A"]}
    theirs = {"status": RiskStatus.OPEN, "due": date(2027, 1, 31), "codes": ["A", "B"]}
    yours = {"status": RiskStatus.CLOSED, "due": date(2027, 1, 31), "codes": ("B", "A")}
    merge = three_way(("status", "due", "codes"), base, theirs, yours)
    assert (merge.theirs, merge.yours, merge.conflicts) == ((), ("status",), ())
    assert merge.values["due"] == date(2027, 1, 31)  # a stored value, not its JSON text


def test_line_breaks_a_browser_posts_are_no_change():
    base = {"notes": "Line one\nLine two"}
    merge = three_way(("notes",), base, {"notes": "Edited"}, {"notes": "Line one\r\nLine two"})
    assert (merge.values["notes"], merge.theirs, merge.conflicts) == ("Edited", ("notes",), ())
    assert comparable("a\r\nb") == "a\nb"


def test_a_field_missing_from_the_base_asks_unless_both_agree():
    merge = three_way(("title", "new"), {"title": "T"}, {"title": "T", "new": 1}, {"title": "T", "new": 2})
    assert merge.conflicts == ("new",)
    assert three_way(("new",), {}, {"new": 1}, {"new": 1}).clean


@dataclass
class Kind:
    """One kind of record, edited as its page edits it."""

    make: Any
    load: Any
    fields: tuple[str, ...]
    update: Any  # (record, values, actor, expected_version)
    field: str
    values: tuple[Any, Any]  # what they and you change `field` to
    other: str
    other_value: Any


def editable(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


def sealed(values: dict[str, Any]) -> dict[str, Any]:
    """The base as the form carries it: JSON, through the signed field."""
    return json.loads(json.dumps({name: comparable(value) for name, value in values.items()}))


@pytest.fixture
def kinds(make_risk, make_site, users):
    return {
        "risk": Kind(
            make=lambda: make_risk(),
            load=lambda ident: risk_with_links(ident),
            fields=risk_services.EDITABLE_FIELDS,
            update=risk_services.update_risk,
            field="title",
            values=("Their title", "Your title"),
            other="treatment",
            other_value=Treatment.TRANSFER,
        ),
        "control": Kind(
            make=lambda: new_control(users["risk_manager"], "Security"),
            load=lambda ident: db.session.get(Control, ident),
            fields=control_services.EDITABLE_FIELDS,
            update=control_services.update_control,
            field="due_date",
            values=(date(2027, 3, 31), date(2027, 4, 30)),
            other="description",
            other_value="Two fences, not one.",
        ),
        "site": Kind(
            make=lambda: make_site(name="Geita", region="Geita"),
            load=lambda ident: db.session.get(Site, ident),
            fields=site_services.SITE_FIELDS,
            update=site_services.update_site,
            field="region",
            values=("Mwanza", "Shinyanga"),
            other="lifecycle",
            other_value=Lifecycle.CLOSURE,
        ),
    }


def reload(kind: Kind, ident: int) -> Any:
    db.session.expire_all()
    return kind.load(ident)


@pytest.mark.parametrize("which", ["risk", "control", "site"])
@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_combination_through_the_services(kinds, users, which, combination):
    """Open (base), someone saves (theirs), the editor submits (yours): merge, then save the merge."""
    kind = kinds[which]
    theirs_title, yours_title, _, kept_theirs, kept_yours, conflicts = COMBINATIONS[combination]
    pick = {"Theirs": kind.values[0], "Yours": kind.values[1], "Same": kind.values[0]}
    record = kind.make()
    ident = record.id
    opened = editable(reload(kind, ident), kind.fields)
    base = sealed(opened)
    yours = dict(opened, **{kind.other: kind.other_value})  # the editor always changes another field
    if yours_title:
        yours[kind.field] = pick[yours_title]
    if theirs_title:
        stored = reload(kind, ident)
        theirs = dict(opened, **{kind.field: pick[theirs_title]})
        kind.update(stored, theirs, users["admin"], stored.version)
        db.session.commit()

    current = reload(kind, ident)
    merge = three_way(kind.fields, base, editable(current, kind.fields), yours)
    assert merge.conflicts == ((kind.field,) if conflicts else ())
    assert set(merge.theirs) == ({kind.field} if kept_theirs else set())
    assert set(merge.yours) == ({kind.field} if kept_yours else set()) | {kind.other}
    if conflicts:
        return
    kind.update(current, merge.values, users["risk_manager"], current.version)
    db.session.commit()
    saved = reload(kind, ident)
    expected = pick.get(yours_title or theirs_title or "", opened[kind.field])
    assert getattr(saved, kind.field) == expected
    assert getattr(saved, kind.other) == kind.other_value  # the editor's other change is kept too
