"""The pure indicator rules: values over rolling windows, status against thresholds both ways,
what counts as a trigger, which threshold pairs are usable, and the reason in words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from riskreg.indicators import compute
from riskreg.indicators.charts import bands, figure
from riskreg.indicators.compute import Eng, Facts, Obs

ON = date(2026, 6, 30)


def days_ago(n: int) -> date:
    return ON - timedelta(days=n)


def facts(observations=(), engagements=(), last=None, km=5.0) -> Facts:
    return Facts(list(observations), list(engagements), last, km)


def test_latest_miners_on_the_concession_within_the_window():
    rows = [
        Obs(days_ago(100), "on_concession", None, 900),  # outside 90 days
        Obs(days_ago(40), "on_concession", None, 120),
        Obs(days_ago(10), "on_concession", None, 470),
        Obs(days_ago(5), "adjacent", None, 999),  # not on the concession
        Obs(days_ago(2), "on_concession", None, None),  # no estimate: does not count
    ]
    assert compute.value("miners_on_concession", 90, facts(rows), ON) == 470
    assert compute.value("miners_on_concession", 90, facts(rows), days_ago(20)) == 120
    assert compute.value("miners_on_concession", 30, facts(rows[:1]), ON) is None


def test_miners_adjacent_counts_distant_ones_within_the_adjacency_distance():
    rows = [Obs(days_ago(3), "distant", 4.0, 80), Obs(days_ago(9), "distant", 12.0, 500)]
    assert compute.value("miners_adjacent", 90, facts(rows), ON) == 80
    assert compute.value("miners_adjacent", 90, facts(rows[1:]), ON) is None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("mercury_use", 2), ("cyanide_use", 1), ("children_seen", 1), ("security_incidents", 2)],
)
def test_counts_of_observations_with_a_signal(kind, expected):
    rows = [
        Obs(days_ago(1), "on_concession", None, 10, mercury="observed", incident=True),
        Obs(days_ago(30), "on_concession", None, 10, mercury="reported", cyanide="reported", children=True),
        Obs(days_ago(60), "on_concession", None, 10, incident=True),
        Obs(days_ago(200), "on_concession", None, 10, mercury="observed", children=True, incident=True),
    ]
    assert compute.value(kind, 90, facts(rows), ON) == expected


def test_grievances_and_engagements_held():
    engs = [Eng(days_ago(5), True), Eng(days_ago(50), False), Eng(days_ago(400), True)]
    assert compute.value("grievances", 180, facts(engagements=engs), ON) == 1
    assert compute.value("engagements_held", 180, facts(engagements=engs), ON) == 2


def test_days_since_the_last_observation_uses_the_latest_known_date():
    assert compute.value("days_since_observation", 0, facts(last=days_ago(95)), ON) == 95
    assert compute.value("days_since_observation", 0, facts([Obs(days_ago(3), "adjacent", None, 1)]), ON) == 3
    assert compute.value("days_since_observation", 0, facts(), ON) is None
    past = facts([Obs(days_ago(10), "adjacent", None, 1)], last=ON)  # on a past day, later ones do not count
    assert compute.value("days_since_observation", 0, past, days_ago(4)) == 6


def test_change_of_miners_against_the_previous_window():
    rows = [Obs(days_ago(120), "on_concession", None, 200), Obs(days_ago(10), "adjacent", None, 300)]
    assert compute.value("miners_change_pct", 90, facts(rows), ON) == 50.0
    assert compute.value("miners_change_pct", 90, facts(rows[1:]), ON) is None  # nothing to compare with


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown indicator kind"):
        compute.value("moon_phase", 90, facts(), ON)


@pytest.mark.parametrize(
    ("value", "worse", "expected"),
    [
        (None, "higher", "no_data"),
        (299, "higher", "green"),
        (300, "higher", "amber"),
        (499, "higher", "amber"),
        (500, "higher", "red"),
        (3, "lower", "green"),
        (2, "lower", "amber"),
        (0, "lower", "red"),
    ],
)
def test_status_against_the_thresholds(value, worse, expected):
    amber, red = (300, 500) if worse == "higher" else (2, 0)
    assert compute.status(value, amber, red, worse) == expected


def test_a_trigger_is_a_move_to_amber_or_red_from_anything_better():
    assert compute.is_trigger("green", "amber") and compute.is_trigger("amber", "red")
    assert compute.is_trigger("no_data", "red")
    assert not compute.is_trigger("red", "red") and not compute.is_trigger("red", "amber")
    assert not compute.is_trigger("amber", "green")


def test_red_must_be_beyond_amber_in_the_direction_of_worse():
    assert compute.check_thresholds(300, 500, "higher") is None
    assert "above amber" in compute.check_thresholds(500, 500, "higher")
    assert "above amber" in compute.check_thresholds(500, 300, "higher")
    assert compute.check_thresholds(2, 0, "lower") is None
    assert "below amber" in compute.check_thresholds(0, 2, "lower")


def test_the_reason_in_words():
    text = compute.reason("Miners on the concession", "miners", 90, 470, 500, "red", 300, 500, "higher")
    assert text == "Miners on the concession rose from 470 to 500 over the last 90 days (red at 500 or more)"
    first = compute.reason("Observations with children seen", "obs", 180, None, 1, "amber", 1, 2, "higher")
    assert first == "Observations with children seen: 1 over the last 180 days (amber at 1 or more)"
    lower = compute.reason("Engagements held", "", 180, 1, 0, "red", 1, 0, "lower")
    assert lower == "Engagements held fell from 1 to 0 over the last 180 days (red at 0 or less)"
    pct = compute.reason("Change", "%", 90, 12.5, 33.3, "amber", 20, 50, "higher")
    assert "rose from 12.5% to 33.3%" in pct and "amber at 20% or more" in pct


def test_the_chart_carries_the_values_and_one_band_per_status():
    days = [days_ago(30), days_ago(0)]
    fig = figure("Miners <b>", "miners", days, [120, None], 300, 500, "higher")
    assert fig["data"][0]["y"] == [120, None] and fig["data"][0]["x"] == [d.isoformat() for d in days]
    assert fig["data"][0]["name"] == "Miners &lt;b&gt;"  # Plotly reads tags in labels
    shapes = fig["layout"]["shapes"]
    assert [(s["y0"], s["y1"]) for s in shapes] == [(0.0, 300), (300, 500), (500, 575.0)]
    assert [state for state, *_ in bands(2, 0, "lower", 0, 3)] == ["red", "amber", "green"]
