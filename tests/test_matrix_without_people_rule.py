"""A matrix file may list no people directions (no people-first rule): every page that tallies
bands still works, and nothing is lifted."""

from __future__ import annotations

import re

import pytest

from riskreg.config import ROOT
from riskreg.risks.models import Direction
from tests.conftest import running_app, text_of


@pytest.fixture
def app(tmp_path):
    text = (ROOT / "seeds" / "matrix.toml").read_text()
    path = tmp_path / "matrix.toml"
    path.write_text(re.sub(r"(?m)^people_directions = .*$", "people_directions = []", text))
    yield from running_app(tmp_path, MATRIX_FILE=str(path), MATRIX_PRESET="score_thresholds")


@pytest.mark.parametrize("url", ["/sites", "/reports/asm-disclosure", "/risks", "/dashboard", "/export.xlsx"])
def test_pages_that_tally_bands_work_without_a_people_rule(clients, make_site, make_risk, url):
    site = make_site(name="Nyota")
    make_risk(
        site_id=site.id,
        direction=Direction.TO_ASM,
        inherent_likelihood=1,
        inherent_impact=5,
        residual_likelihood=1,
        residual_impact=5,
    )
    response = clients["executive"].get(url)
    assert response.status_code == 200, url
    if url == "/risks":  # without the rule, a rare catastrophic risk to miners stays Medium (score 5)
        assert "Medium 1" in text_of(response) and "High 0" in text_of(response)
