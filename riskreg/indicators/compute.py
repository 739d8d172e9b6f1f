"""Pure: an indicator's value from a site's observations and engagements, its status against the
thresholds, and the reason for a trigger in words. No database, no Flask: tests call it directly.

Windows are rolling: an observation counts when observed_on is within the last `window_days` days
(today included). A count over no observation is 0; a "latest estimate" over none is no data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

KINDS = (
    "miners_on_concession",
    "miners_adjacent",
    "miners_change_pct",
    "mercury_use",
    "cyanide_use",
    "children_seen",
    "security_incidents",
    "grievances",
    "engagements_held",
    "days_since_observation",
)
NOT_OBSERVED = "not_observed"


@dataclass(frozen=True)
class Obs:
    """The facts of an observation that indicators read."""

    observed_on: date
    location: str  # on_concession, adjacent, distant
    distance_km: float | None
    miners: int | None
    mercury: str = NOT_OBSERVED
    cyanide: str = NOT_OBSERVED
    children: bool = False
    incident: bool = False


@dataclass(frozen=True)
class Eng:
    held_on: date
    grievances: bool


@dataclass(frozen=True)
class Facts:
    """A site's monitoring, given in the order it was recorded; `last_observed` may predate the rows.

    Kept sorted by date (stable: of two rows on one day the later-recorded stays last), so a window
    is two binary searches, not a scan per indicator."""

    observations: Sequence[Obs]
    engagements: Sequence[Eng]
    last_observed: date | None
    adjacent_km: float
    _obs_days: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _eng_days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        observations = sorted(self.observations, key=lambda o: o.observed_on)
        engagements = sorted(self.engagements, key=lambda e: e.held_on)
        object.__setattr__(self, "observations", observations)
        object.__setattr__(self, "engagements", engagements)
        object.__setattr__(self, "_obs_days", tuple(o.observed_on for o in observations))
        object.__setattr__(self, "_eng_days", tuple(e.held_on for e in engagements))

    def observed(self, on: date, window_days: int) -> Sequence[Obs]:
        """Observations in the window ending on `on` (today included)."""
        start = on - timedelta(days=window_days)
        return self.observations[bisect_right(self._obs_days, start) : bisect_right(self._obs_days, on)]

    def held(self, on: date, window_days: int) -> Sequence[Eng]:
        start = on - timedelta(days=window_days)
        return self.engagements[bisect_right(self._eng_days, start) : bisect_right(self._eng_days, on)]


def _latest(rows: list[Obs]) -> int | None:
    """The estimate of the latest observation; of two on one day, the one recorded last."""
    rows = sorted((o for o in rows if o.miners is not None), key=lambda o: o.observed_on)  # stable
    return rows[-1].miners if rows else None


def _adjacent(o: Obs, km: float) -> bool:
    return o.location == "adjacent" or (
        o.location == "distant" and o.distance_km is not None and o.distance_km <= km
    )


def _near(o: Obs, km: float) -> bool:
    return o.location == "on_concession" or _adjacent(o, km)


def value(kind: str, window_days: int, facts: Facts, on: date) -> float | None:
    """The indicator's value on day `on` (only rows observed up to `on` count)."""
    obs, engs = facts.observed(on, window_days), facts.held(on, window_days)
    km = facts.adjacent_km
    counters: dict[str, Callable[[Obs], bool]] = {
        "mercury_use": lambda o: o.mercury != NOT_OBSERVED,
        "cyanide_use": lambda o: o.cyanide != NOT_OBSERVED,
        "children_seen": lambda o: o.children,
        "security_incidents": lambda o: o.incident,
    }
    if kind in counters:
        return float(sum(1 for o in obs if counters[kind](o)))
    if kind == "miners_on_concession":
        return _as_float(_latest([o for o in obs if o.location == "on_concession"]))
    if kind == "miners_adjacent":
        return _as_float(_latest([o for o in obs if _adjacent(o, km)]))
    if kind == "grievances":
        return float(sum(1 for e in engs if e.grievances))
    if kind == "engagements_held":
        return float(len(engs))
    if kind == "days_since_observation":
        seen = facts.observed(on, 100_000)
        known = facts.last_observed if facts.last_observed and facts.last_observed <= on else None
        last = max([o.observed_on for o in seen[-1:]] + ([known] if known else []), default=None)
        return None if last is None else float((on - last).days)
    if kind == "miners_change_pct":
        now = _latest([o for o in obs if _near(o, km)])
        start = on - timedelta(days=window_days)
        before = _latest([o for o in facts.observed(start, window_days) if _near(o, km)])
        if now is None or not before:
            return None
        return round((now - before) * 100.0 / before, 1)
    raise ValueError(f"unknown indicator kind {kind!r}")


def _as_float(number: int | None) -> float | None:
    return None if number is None else float(number)


def status(value: float | None, amber: float, red: float, worse: str) -> str:
    """green / amber / red: amber once the value reaches `amber` (for "lower": falls to it)."""
    if value is None:
        return "no_data"
    if worse == "lower":
        return "red" if value <= red else "amber" if value <= amber else "green"
    return "red" if value >= red else "amber" if value >= amber else "green"


RANK = {"no_data": 0, "green": 0, "amber": 1, "red": 2}


def is_trigger(old_status: str, new_status: str) -> bool:
    """A move to amber or red from anything better."""
    return RANK[new_status] > RANK[old_status]


def check_thresholds(amber: float, red: float, worse: str) -> str | None:
    """The reason the pair is unusable, or None."""
    if worse == "lower" and not red < amber:
        return f"Red must be below amber for an indicator where lower is worse (amber {fmt(amber)})."
    if worse != "lower" and not red > amber:
        return f"Red must be above amber for an indicator where higher is worse (amber {fmt(amber)})."
    return None


def fmt(number: float | None, unit: str = "") -> str:
    if number is None:
        return "no data"
    text = f"{int(number)}" if float(number).is_integer() else f"{number:.1f}"
    return f"{text}%" if unit == "%" else text


def threshold_words(state: str, amber: float, red: float, worse: str, unit: str = "") -> str:
    limit = red if state == "red" else amber
    side = "or less" if worse == "lower" else "or more"
    return f"{state} at {fmt(limit, unit)} {side}"


def reason(
    label: str,
    unit: str,
    window_days: int,
    old: float | None,
    new: float | None,
    new_status: str,
    amber: float,
    red: float,
    worse: str,
) -> str:
    """E.g. "Miners on the concession rose from 470 to 500 over the last 90 days (red at 500 or more)"."""
    if old is None:
        change = f": {fmt(new, unit)}"
    elif new is not None and new > old:
        change = f" rose from {fmt(old, unit)} to {fmt(new, unit)}"
    elif new is not None and new < old:
        change = f" fell from {fmt(old, unit)} to {fmt(new, unit)}"
    else:
        change = f" stays at {fmt(new, unit)}"
    span = f" over the last {window_days} days" if window_days else ""
    return f"{label}{change}{span} ({threshold_words(new_status, amber, red, worse, unit)})"


def series(kind: str, window_days: int, facts: Facts, days: Sequence[date]) -> list[float | None]:
    """The value on each of `days` (for the charts)."""
    return [value(kind, window_days, facts, day) for day in days]
