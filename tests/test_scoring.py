"""The risk matrix over all 25 cells, both presets, and the people-first rule."""

from __future__ import annotations

import tomllib

import pytest

from riskreg import scoring
from riskreg.config import ROOT

MATRIX = str(ROOT / "seeds" / "matrix.toml")

# domain/ASM.md §5.3, rows = likelihood 5..1, columns = impact 1..5
CELL_MAP = {
    5: ["high", "high", "extreme", "extreme", "extreme"],
    4: ["medium", "high", "high", "extreme", "extreme"],
    3: ["low", "medium", "high", "extreme", "extreme"],
    2: ["low", "low", "medium", "high", "extreme"],
    1: ["low", "low", "medium", "high", "high"],
}


def threshold_band(value: int) -> str:
    return "low" if value <= 4 else "medium" if value <= 9 else "high" if value <= 16 else "extreme"


CELLS = [(lk, im) for lk in range(1, 6) for im in range(1, 6)]


@pytest.mark.parametrize(("likelihood", "impact"), CELLS)
def test_cell_map_band_of_every_cell(likelihood, impact):
    matrix = scoring.load_matrix(MATRIX, "cell_map")
    assert matrix.band(likelihood, impact, "to_company").key == CELL_MAP[likelihood][impact - 1]
    assert scoring.score(likelihood, impact) == likelihood * impact


@pytest.mark.parametrize(("likelihood", "impact"), CELLS)
def test_score_threshold_band_of_every_cell(likelihood, impact):
    matrix = scoring.load_matrix(MATRIX, "score_thresholds")
    assert matrix.band(likelihood, impact, "to_company").key == threshold_band(likelihood * impact)


def test_default_preset_is_the_severity_weighted_cell_map():
    matrix = scoring.load_matrix(MATRIX)
    assert matrix.preset == "cell_map"
    assert matrix.band(1, 5).key == "high"  # a rare catastrophic event is High, not Medium
    assert matrix.band(2, 5).key == "extreme"


@pytest.mark.parametrize("preset", scoring.PRESETS)
@pytest.mark.parametrize("direction", ["to_communities", "to_asm"])
@pytest.mark.parametrize("likelihood", range(1, 6))
def test_catastrophic_impact_on_people_is_at_least_high(preset, direction, likelihood):
    matrix = scoring.load_matrix(MATRIX, preset)
    band = matrix.band(likelihood, 5, direction)
    assert band.rank >= matrix.band_by_key("high").rank


def test_people_rule_lifts_only_people_risks_under_thresholds():
    matrix = scoring.load_matrix(MATRIX, "score_thresholds")
    assert matrix.band(1, 5, "to_company").key == "medium"  # score 5
    assert matrix.band(1, 5, "to_asm").key == "high"
    assert matrix.band(1, 4, "to_asm").key == "low"  # only a consequence of 5 is lifted


def test_people_rule_never_lowers_a_band():
    matrix = scoring.load_matrix(MATRIX, "cell_map")
    assert matrix.band(5, 5, "to_communities").key == "extreme"


@pytest.mark.parametrize("preset", scoring.PRESETS)
def test_cells_in_band_partition_the_matrix(preset):
    matrix = scoring.load_matrix(MATRIX, preset)
    for people in (False, True):
        cells = [cell for band in matrix.band_keys for cell in matrix.cells_in_band(band, people)]
        assert sorted(cells) == CELLS


def test_bands_carry_label_and_colours():
    matrix = scoring.load_matrix(MATRIX)
    assert [b.label for b in matrix.bands] == ["Low", "Medium", "High", "Extreme"]
    assert all(b.colour.startswith("#") and b.fill.startswith("#") for b in matrix.bands)
    assert matrix.likelihood_label(1) == "Rare" and matrix.impact_label(5) == "Catastrophic"
    assert set(matrix.impact[4].areas) == {
        "safety",
        "environment",
        "social",
        "reputation",
        "legal",
        "financial",
        "operations",
    }


@pytest.mark.parametrize("bad", [0, 6, -1, "3", 2.5, None, True])
def test_levels_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match="from 1 to 5"):
        scoring.score(bad, 3)


@pytest.mark.parametrize("bad", [0, 6, -1, "3", 2.5, 1.0, None, True, False])
def test_a_band_is_asked_for_two_levels_only(bad):
    matrix = scoring.matrix()
    for likelihood, impact in ((bad, 3), (3, bad)):
        for people in (False, True):
            with pytest.raises(ValueError, match="from 1 to 5"):
                matrix.band_for(likelihood, impact, people)


def test_the_kept_table_of_bands_is_the_rule_of_each_cell():
    matrix = scoring.matrix()
    for likelihood in scoring.LEVELS:
        for impact in scoring.LEVELS:
            for people in (False, True):
                worked_out = matrix._band_of_cell(likelihood, impact, people)
                assert matrix.band_for(likelihood, impact, people) is worked_out
    # the people-first rule lifts a low cell with a severe impact, for people only
    assert matrix.band_for(1, 5, True).rank >= matrix.band_for(1, 5, False).rank


def test_malformed_matrix_files_say_what_is_wrong():
    with open(MATRIX, "rb") as handle:
        data = tomllib.load(handle)
    broken = dict(data, presets={"cell_map": {"rows": {**data["presets"]["cell_map"]["rows"], "3": ["low"]}}})
    with pytest.raises(scoring.MatrixError, match="row 3"):
        scoring.parse_matrix(broken)
    with pytest.raises(scoring.MatrixError, match="preset"):
        scoring.parse_matrix(data, "no_such_preset")
    unknown = dict(data, people_floor_band="severe")
    with pytest.raises(scoring.MatrixError, match="severe"):
        scoring.parse_matrix(unknown)


@pytest.mark.parametrize("preset", scoring.PRESETS)
@pytest.mark.parametrize(("likelihood", "impact"), CELLS)
def test_band_for_takes_the_people_rule_as_a_flag(preset, likelihood, impact):
    matrix = scoring.load_matrix(MATRIX, preset)
    for direction in ("to_company", "to_communities", "to_asm", None):
        people = direction in ("to_communities", "to_asm")
        assert matrix.band_for(likelihood, impact, people) == matrix.band(likelihood, impact, direction)


def test_tally_counts_group_rows_per_band_with_the_people_first_rule():
    matrix = scoring.load_matrix(MATRIX, "score_thresholds")
    rows = [
        (1, 5, "to_company", 2),  # medium
        (1, 5, "to_asm", 3),  # lifted to high
        (1, 5, "to_communities", 1),  # lifted to high
        (5, 5, "to_company", 4),  # extreme
        (None, None, "to_asm", 9),  # no target score: in no band
    ]
    assert matrix.tally(rows) == {"low": 0, "medium": 2, "high": 4, "extreme": 4}
    assert list(matrix.tally([])) == ["low", "medium", "high", "extreme"]  # every band, in order
    assert (
        matrix.band_for(1, 5, people=True).key == "high" and matrix.band_for(1, 4, people=True).key == "low"
    )


def test_tally_by_tallies_each_group_alone():
    matrix = scoring.load_matrix(MATRIX, "score_thresholds")
    rows = [(7, 1, 5, "to_asm", 3), (7, 1, 1, "to_company", 1), (None, 1, 5, "to_company", 2)]
    assert matrix.tally_by(rows) == {
        7: {"low": 1, "medium": 0, "high": 3, "extreme": 0},
        None: {"low": 0, "medium": 2, "high": 0, "extreme": 0},
    }
