"""Each feature's blueprint.py holds its URL map and imports its views; views never import the
blueprint, and no module builds at import time what needs every model: any of them imports first,
on its own, in a fresh interpreter (as a CLI command, a worker or a script would)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from riskreg.config import ROOT

FEATURES = [
    path.parent.name for path in sorted((ROOT / "riskreg").glob("*/views.py"))
]  # every feature with pages
# The controls package had the cycle (views imported actions at its bottom) and built loader
# options at import; its modules are the ones to keep importable first (about a second each).
FIRST_IMPORTS = [
    "riskreg.controls.queries",
    "riskreg.controls.views",
    "riskreg.controls.actions",
    "riskreg.controls.risk_views",
    "riskreg.controls.blueprint",
]


@pytest.mark.parametrize("module", FIRST_IMPORTS)
def test_a_module_imports_first_in_a_fresh_interpreter(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_feature_keeps_its_url_map_in_blueprint_py():
    assert len(FEATURES) >= 12
    for feature in FEATURES:
        package = ROOT / "riskreg" / feature
        assert (package / "blueprint.py").is_file(), feature
        for module in package.glob("*.py"):
            if module.name == "blueprint.py":
                continue
            source = module.read_text()
            assert "Blueprint(" not in source and "@bp." not in source, module
            assert ".blueprint import" not in source, module


def test_the_factory_registers_every_blueprint(app):
    assert set(app.blueprints) == {*FEATURES, "risk_controls", "risk_acceptances"}
