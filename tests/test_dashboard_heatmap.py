"""The pure pieces: counts -> grid -> Plotly figure, and which cells hold the top risks."""

from __future__ import annotations

from riskreg.config import Config
from riskreg.dashboard import heatmap
from riskreg.dashboard.queries import top_cells
from riskreg.scoring import load_matrix

CELL_MAP = load_matrix(str(Config.MATRIX_FILE), "cell_map")
THRESHOLDS = load_matrix(str(Config.MATRIX_FILE), "score_thresholds")


def test_grid_counts_cells_and_bands_with_the_people_first_rule():
    rows = [
        (1, 5, "to_company", 2),
        (1, 5, "to_asm", 3),
        (4, 4, "to_company", 1),
        (None, None, "to_company", 4),
    ]
    grid = heatmap.build_grid(rows, THRESHOLDS, "target")
    cell = grid.cells[(1, 5)]
    assert (cell.count, cell.people_count, cell.band.key, cell.people_band.key) == (5, 3, "medium", "high")
    assert cell.lifted == 3 and grid.lifted == 3
    assert grid.band_counts == {"low": 0, "medium": 2, "high": 4, "extreme": 0}
    assert grid.unscored == 4 and grid.total == 6
    assert [c.likelihood for c in (row[0] for row in grid.rows())] == [5, 4, 3, 2, 1]
    # the default map already puts a rare catastrophic event in High: nothing is lifted there
    assert heatmap.build_grid(rows, CELL_MAP, "residual").lifted == 0


def test_figure_colours_each_cell_by_band_and_links_non_empty_cells():
    grid = heatmap.build_grid([(2, 3, "to_company", 4)], CELL_MAP, "residual")
    figure = heatmap.figure(grid, CELL_MAP, lambda c: f"/risks?likelihood={c.likelihood}&impact={c.impact}")
    trace, layout = figure["data"][0], figure["layout"]
    assert trace["x"] == [1, 2, 3, 4, 5] and trace["y"] == [1, 2, 3, 4, 5]
    assert layout["xaxis"]["ticktext"][4] == "5<br>Catastrophic"
    assert layout["yaxis"]["ticktext"][0] == "1 Rare"
    assert layout["dragmode"] is False and figure["config"]["displayModeBar"] is False
    assert trace["text"][1][2] == "4" and trace["customdata"][1][2] == "/risks?likelihood=2&impact=3"
    assert trace["customdata"][0][0] is None  # empty: nothing to open
    # z is the band's rank and the stepped scale maps each rank to exactly that band's fill
    scale = dict((round(pos, 3), colour) for pos, colour in trace["colorscale"][::2])
    for y, lk in enumerate(trace["y"]):
        for x, im in enumerate(trace["x"]):
            band = CELL_MAP.band(lk, im)
            assert trace["z"][y][x] == band.rank
            assert scale[round(band.rank / len(CELL_MAP.bands), 3)] == band.fill
    assert "Click to open them" in trace["hovertext"][1][2]


def test_top_cells_take_the_worst_groups_until_ten_risks_ties_included():
    rows = [
        (2, 5, "to_company", 3),
        (4, 3, "to_company", 6),
        (3, 4, "to_communities", 2),
        (4, 3, "to_asm", 1),
        (1, 1, "to_company", 50),
    ]
    grid = heatmap.build_grid(rows, CELL_MAP, "residual")
    chosen = top_cells(grid, limit=10)
    # Extreme first (3 x 4 = 12 beats 2 x 5 = 10), then the High 4 x 3 groups, people and not alike
    assert [(lk, im, people) for lk, im, people, _rank in chosen] == [
        (3, 4, True),
        (2, 5, False),
        (4, 3, False),
        (4, 3, True),
    ]


def test_bar_chart_shows_department_names_as_text_not_markup():
    from riskreg.dashboard.charts import overdue_figure
    from riskreg.dashboard.queries import DepartmentControls

    rows = [DepartmentControls(1, "<b>Legal</b> & Co", True, total=4, done=1, overdue=2)]
    trace = overdue_figure(rows)["data"][0]
    assert trace["y"] == ["&lt;b&gt;Legal&lt;/b&gt; &amp; Co"] and trace["x"] == [2]


def test_band_counts_are_the_matrix_tally_of_the_rows():
    directions = ("to_company", "to_communities", "to_asm")
    rows = [
        (lk, im, directions[(lk * 7 + im * 3) % 3], (lk + im) % 4 + 1)
        for lk in range(1, 6)
        for im in range(1, 6)
        if (lk * im) % 5 != 3
    ] + [(None, None, "to_asm", 2)]
    for matrix in (CELL_MAP, THRESHOLDS):
        grid = heatmap.build_grid(rows, matrix, "target")
        assert grid.band_counts == dict(matrix.tally(rows))
        assert sum(grid.band_counts.values()) == grid.total and grid.unscored == 2
    assert heatmap.build_grid(rows, THRESHOLDS, "target").lifted > 0  # the rule is exercised
