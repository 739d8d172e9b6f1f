"""`flask seed standards`: loads the catalogue idempotently, updates it in place without breaking
links, refuses to drop a linked requirement (listing the links), deletes unlinked dropped ones."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskreg.config import ROOT
from riskreg.extensions import db
from riskreg.standards import links
from riskreg.standards.catalogue import CatalogueError, load_standards, read_catalogue
from riskreg.standards.models import Requirement
from tests.asm_helpers import load_catalogue, make_control

CATALOGUE = ROOT / "seeds" / "standards.toml"


def requirement_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Requirement.id)))


def edited(tmp_path: Path, replace: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """A copy of the catalogue with text replaced and whole [[requirements]] blocks dropped."""
    text = CATALOGUE.read_text()
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    blocks = text.split("\n[[requirements]]\n")
    kept = [blocks[0]] + [b for b in blocks[1:] if not any(f'code = "{code}"\n' in b for code in drop)]
    assert len(blocks) - len(kept) == len(drop)
    path = tmp_path / "standards.toml"
    path.write_text("\n[[requirements]]\n".join(kept))
    return path


def test_catalogue_covers_the_frameworks_with_edition_and_evidence():
    frameworks, requirements = read_catalogue(CATALOGUE)
    keys = {fw.key for fw in frameworks if fw.core}
    assert keys == {"GRI", "RMI", "ICMM", "IRMA", "RJC", "RRA", "CopperMark", "WGC", "DeBeers", "OECD"}
    codes = {r["code"] for r in requirements}
    assert {
        "GRI-MMSD-MM8",
        "GRI-14-14.13",
        "IRMA-3.6",
        "RJC-COP-35",
        "COPPERMARK-25",
        "DEBEERS-BPP-D.9",
    } <= codes
    for row in requirements:
        assert row["edition"] and row["identifier"] and row["summary"] and row["audit_evidence"], row["code"]


def test_seed_standards_is_idempotent(runner):
    first = runner.invoke(args=["seed", "standards"])
    assert first.exit_code == 0, first.output
    total = len(tomllib.loads(CATALOGUE.read_text())["requirements"])
    assert f"{total} created" in first.output
    assert requirement_count() == total
    second = runner.invoke(args=["seed", "standards"])
    assert second.exit_code == 0 and f"0 created, 0 updated, 0 deleted, {total} unchanged" in second.output
    assert requirement_count() == total


def test_editing_a_summary_updates_in_place_and_keeps_links(runner, tmp_path, make_risk):
    load_catalogue()
    irma = db.session.scalar(sa.select(Requirement).where(Requirement.code == "IRMA-3.6"))
    risk = make_risk()
    links.set_risk_requirements(risk, ["IRMA-3.6"])
    control = make_control(requirements=["IRMA-3.6"])
    db.session.commit()
    path = edited(
        tmp_path, {"Avoid conflict and, within national law,": "Keep the peace and, within the law,"}
    )
    result = runner.invoke(args=["seed", "standards", "--file", str(path)])
    assert result.exit_code == 0 and "1 updated" in result.output, result.output
    db.session.rollback()
    again = db.session.scalar(sa.select(Requirement).where(Requirement.code == "IRMA-3.6"))
    assert again.id == irma.id and again.summary.startswith("Keep the peace")
    assert links.linked_codes("risk", risk.id) == ["IRMA-3.6"]
    assert links.linked_codes("control", control.id) == ["IRMA-3.6"]


def test_removing_a_linked_requirement_is_refused_with_its_links(runner, tmp_path, make_risk):
    load_catalogue()
    risk = make_risk()
    links.set_risk_requirements(risk, ["IRMA-3.6"])
    control = make_control(requirements=["IRMA-3.6"])
    db.session.commit()
    before = requirement_count()
    path = edited(
        tmp_path, {"Avoid conflict and, within national law,": "Changed too,"}, drop=("IRMA-3.6", "CRAFT")
    )
    result = runner.invoke(args=["seed", "standards", "--file", str(path)])
    assert result.exit_code != 0
    assert "IRMA-3.6" in result.output and risk.ref in result.output and control.ref in result.output
    assert "CRAFT" not in result.output  # unlinked: it would have been deleted, but nothing changed
    assert requirement_count() == before
    kept = db.session.scalar(sa.select(Requirement).where(Requirement.code == "IRMA-3.6"))
    assert kept.summary.startswith("Avoid conflict")
    assert db.session.scalar(sa.select(Requirement.id).where(Requirement.code == "CRAFT")) is not None


def test_removing_an_unlinked_requirement_deletes_it(runner, tmp_path):
    load_catalogue()
    before = requirement_count()
    result = runner.invoke(args=["seed", "standards", "--file", str(edited(tmp_path, drop=("CRAFT",)))])
    assert result.exit_code == 0 and "1 deleted" in result.output
    assert requirement_count() == before - 1


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({'code = "CRAFT"': 'code = "IRMA-3.6"'}, "appears twice"),
        ({'framework_key = "CRAFT"': 'framework_key = "NOPE"'}, "unknown framework 'NOPE'"),
        ({'title = "Conflict-free gold"': 'title = ""'}, "title is missing"),
        ({'identifier = "Code"': 'identifier = "Chapter 3.6"\nframework = "x"'}, "not valid TOML"),
    ],
)
def test_malformed_catalogue_is_refused_and_nothing_is_written(app, tmp_path, replace, message):
    path = edited(tmp_path, replace)
    with pytest.raises(CatalogueError, match=message):
        load_standards(path)
    assert requirement_count() == 0


def catalogue_events(action: str) -> list:
    from riskreg.audit import AuditEvent

    stmt = sa.select(AuditEvent).where(AuditEvent.entity == "requirement", AuditEvent.action == action)
    return list(db.session.scalars(stmt.order_by(AuditEvent.id)))


def test_every_requirement_the_command_creates_changes_or_deletes_is_audited(runner, tmp_path):
    result = runner.invoke(args=["seed", "standards"])
    assert result.exit_code == 0, result.output
    created = catalogue_events("created")
    assert len(created) == requirement_count() > 0
    craft = db.session.scalar(sa.select(Requirement).where(Requirement.code == "CRAFT"))
    first = next(event for event in created if event.entity_id == craft.id)
    assert first.changes["code"] == [None, "CRAFT"] and first.actor_id is None

    path = edited(
        tmp_path, {'title = "Conflict-free gold"': 'title = "Conflict-free gold, revised"'}, ("CRAFT",)
    )
    result = runner.invoke(args=["seed", "standards", "--file", str(path)])
    assert result.exit_code == 0 and "1 updated" in result.output and "1 deleted" in result.output
    (updated,) = catalogue_events("updated")
    assert updated.changes == {"title": ["Conflict-free gold", "Conflict-free gold, revised"]}
    (deleted,) = catalogue_events("deleted")
    assert deleted.entity_id == craft.id and deleted.changes["code"] == ["CRAFT", None]
