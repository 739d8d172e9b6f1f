"""The risk matrix: levels, score = likelihood x impact, and the band of every cell.

Pure: it reads `seeds/matrix.toml` (or any file of that shape) and answers questions. Every page,
chart and export takes scores, bands and colours from here.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

LEVELS = (1, 2, 3, 4, 5)
LIKELIHOOD, IMPACT = _l("likelihood"), _l("impact")  # in the messages about a level
PRESETS = ("cell_map", "score_thresholds")
MAX_REVIEW_DAYS = 3650
APPROVERS = ("risk_manager", "executive")  # the authorities an acceptance can need


class MatrixError(ValueError):
    """The matrix file is malformed; the message says where."""


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    colour: str
    fill: str
    rank: int
    review_days: int  # how often a risk in this band is reviewed (seeds/matrix.toml)
    tolerability: str = ""
    response: str = ""
    review_days: int = 365  # how often a risk in this band is reviewed
    acceptance_approver: str = "risk_manager"  # whose authority an acceptance needs (APPROVERS)


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    definition: str = ""
    frequency: str = ""
    areas: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Matrix:
    likelihood: tuple[Level, ...]
    impact: tuple[Level, ...]
    bands: tuple[Band, ...]
    cells: dict[tuple[int, int], str]  # (likelihood, impact) -> band key, before the people rule
    preset: str
    people_directions: frozenset[str]
    people_floor_impact: int
    people_floor_band: str

    def band_by_key(self, key: str) -> Band:
        for band in self.bands:
            if band.key == key:
                return band
        raise KeyError(key)

    def band(self, likelihood: int, impact: int, direction: Any = None) -> Band:
        """The band of a risk's cell; its direction says whether the people-first rule applies."""
        return self.band_for(likelihood, impact, self.is_people(direction))

    def band_for(self, likelihood: int, impact: int, people: bool) -> Band:
        """The band of a cell for risks to people or not: for people, a severe enough impact lifts
        the cell to the floor band. Read from the matrix's table of every cell (a register page
        asks for a few hundred); anything but two levels is refused by check_level, as ever."""
        if type(likelihood) is int and type(impact) is int:  # not True, 1.0 or "1": equal keys
            found = self._band_table.get((likelihood, impact, bool(people)))
            if found is not None:
                return found
        return self._band_of_cell(likelihood, impact, people)

    @cached_property
    def _band_table(self) -> dict[tuple[int, int, bool], Band]:
        """band_for of every cell, for people and not, worked out once per matrix (a frozen
        dataclass: cached_property writes the instance's __dict__ itself)."""
        return {
            (lk, im, people): self._band_of_cell(lk, im, people)
            for lk in LEVELS
            for im in LEVELS
            for people in (False, True)
        }

    def _band_of_cell(self, likelihood: int, impact: int, people: bool) -> Band:
        check_level(likelihood, LIKELIHOOD)
        check_level(impact, IMPACT)
        band = self.band_by_key(self.cells[(likelihood, impact)])
        if people and impact >= self.people_floor_impact:
            floor = self.band_by_key(self.people_floor_band)
            if floor.rank > band.rank:
                return floor
        return band

    @cached_property
    def cell_bands(self) -> dict[tuple[int, int], tuple[Band, Band]]:
        """Each cell's band for risks not to people and for risks to people (band_for), worked out
        once: a dashboard colours 75 cells."""
        return {
            (lk, im): (self.band_for(lk, im, people=False), self.band_for(lk, im, people=True))
            for lk in LEVELS
            for im in LEVELS
        }

    def is_people(self, direction: Any) -> bool:
        """A risk to people (communities, ASM miners): the people-first rule applies to it."""
        return is_people_direction(direction, self.people_directions)

    def cells_in_band(self, band_key: str, people: bool) -> list[tuple[int, int]]:
        """Every (likelihood, impact) whose band is band_key, for people or non-people risks."""
        return [(lk, im) for lk in LEVELS for im in LEVELS if self.band_for(lk, im, people).key == band_key]

    def tally(self, rows: Iterable[Sequence[Any]]) -> Counter[str]:
        """Risks per band (every band, zeros too) from GROUP BY rows of (likelihood, impact,
        direction, count), the people-first rule included. Rows without a level (no target score)
        are in no band."""
        counts: Counter[str] = Counter({key: 0 for key in self.band_keys})
        for likelihood, impact, direction, count in rows:
            if likelihood is not None and impact is not None:
                counts[self.band(likelihood, impact, direction).key] += count
        return counts

    def tally_by(self, rows: Iterable[Sequence[Any]]) -> dict[Any, Counter[str]]:
        """`tally` per group: rows of (group, likelihood, impact, direction, count), e.g. per site."""
        groups: dict[Any, list[Sequence[Any]]] = {}
        for group, *row in rows:
            groups.setdefault(group, []).append(row)
        return {group: self.tally(members) for group, members in groups.items()}

    def likelihood_label(self, value: int) -> str:
        return self.likelihood[value - 1].label

    def impact_label(self, value: int) -> str:
        return self.impact[value - 1].label

    @property
    def band_keys(self) -> list[str]:
        return [band.key for band in self.bands]


def score(likelihood: int, impact: int) -> int:
    check_level(likelihood, LIKELIHOOD)
    check_level(impact, IMPACT)
    return likelihood * impact


def check_level(value: Any, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value not in LEVELS:
        raise ValueError(
            _l("%(name)s must be a whole number from 1 to 5, not %(value)s", name=name, value=repr(value))
        )


def is_people_direction(direction: Any, people_directions: frozenset[str] | None = None) -> bool:
    if direction is None:
        return False
    value = getattr(direction, "value", direction)
    directions = people_directions if people_directions is not None else matrix().people_directions
    return value in directions


def parse_matrix(data: dict[str, Any], preset: str | None = None) -> Matrix:
    """Build a Matrix from the TOML's data; `preset` overrides the file's choice."""
    try:
        bands = tuple(
            Band(
                key=b["key"],
                label=b["label"],
                colour=b["colour"],
                fill=b.get("fill", b["colour"]),
                rank=rank,
                tolerability=b.get("tolerability", ""),
                response=b.get("response", ""),
                review_days=_review_days(b),
                acceptance_approver=_approver(b),
            )
            for rank, b in enumerate(data["bands"])
        )
        likelihood = tuple(
            Level(int(lv["value"]), lv["label"], lv.get("definition", ""), lv.get("frequency", ""))
            for lv in data["likelihood"]
        )
        impact = tuple(
            Level(int(lv["value"]), lv["label"], lv.get("definition", ""), areas=dict(lv.get("areas", {})))
            for lv in data["impact"]
        )
        chosen = preset or data.get("preset", "cell_map")
        if chosen not in PRESETS:
            raise MatrixError(f"preset must be one of {', '.join(PRESETS)}, not {chosen!r}")
        cells = _cells(data["presets"][chosen], chosen)
        people_band = data.get("people_floor_band", "high")
    except KeyError as exc:
        raise MatrixError(f"matrix file is missing {exc}") from exc
    if [lv.value for lv in likelihood] != list(LEVELS) or [lv.value for lv in impact] != list(LEVELS):
        raise MatrixError("likelihood and impact must each have levels 1 to 5, in order")
    keys = {band.key for band in bands}
    unknown = {key for key in cells.values() if key not in keys} | ({people_band} - keys)
    if unknown:
        raise MatrixError(f"unknown band(s) in the matrix: {', '.join(sorted(unknown))}")
    return Matrix(
        likelihood=likelihood,
        impact=impact,
        bands=bands,
        cells=cells,
        preset=chosen,
        people_directions=frozenset(data.get("people_directions", ["to_communities", "to_asm"])),
        people_floor_impact=int(data.get("people_floor_impact", 5)),
        people_floor_band=people_band,
    )


def _review_days(band: dict[str, Any]) -> int:
    """A band's review cadence: a whole number of days, from 1 to 3650 (ten years)."""
    days = band.get("review_days")
    if days is None:
        raise MatrixError(f"band {band.get('key', '?')!r} has no review_days (how often it is reviewed)")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_REVIEW_DAYS:
        raise MatrixError(
            f"review_days of band {band.get('key', '?')!r} must be a whole number of days from 1 to "
            f"{MAX_REVIEW_DAYS}, not {days!r}"
        )
    return days


def _approver(band: dict[str, Any]) -> str:
    approver = band.get("acceptance_approver", "risk_manager")
    if approver not in APPROVERS:
        raise MatrixError(
            f"acceptance_approver of band {band.get('key', '?')!r} must be one of "
            f"{', '.join(APPROVERS)}, not {approver!r}"
        )
    return approver


def _cells(preset: dict[str, Any], name: str) -> dict[tuple[int, int], str]:
    if name == "cell_map":
        rows = preset["rows"]
        cells = {}
        for likelihood in LEVELS:
            row = rows[str(likelihood)]
            if len(row) != 5:
                raise MatrixError(f"cell_map row {likelihood} must list 5 bands")
            for impact, band in zip(LEVELS, row, strict=True):
                cells[(likelihood, impact)] = band
        return cells
    thresholds = sorted(preset["thresholds"], key=lambda t: t["max_score"])
    cells = {}
    for likelihood in LEVELS:
        for impact in LEVELS:
            value = likelihood * impact
            cells[(likelihood, impact)] = next(t["band"] for t in thresholds if value <= t["max_score"])
    return cells


@lru_cache(maxsize=8)
def load_matrix(path: str, preset: str | None = None) -> Matrix:
    with open(path, "rb") as handle:
        return parse_matrix(tomllib.load(handle), preset)


def matrix() -> Matrix:
    """The matrix of the running app (the file named by MATRIX_FILE, its preset by MATRIX_PRESET)."""
    from flask import current_app, has_app_context

    if has_app_context():
        config = current_app.config
        return load_matrix(str(config["MATRIX_FILE"]), config.get("MATRIX_PRESET"))
    return load_matrix(str(Path(__file__).resolve().parent.parent / "seeds" / "matrix.toml"))
