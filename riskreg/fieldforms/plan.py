"""The plan of a field-data import: the new submissions, those imported before, and every problem.

Worked out on the preview and again on confirm (nothing is kept in memory between requests); the
digest says whether the plan is still the one the person saw. Nothing here writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from riskreg import audit
from riskreg.extensions import db
from riskreg.fieldforms.columns import (
    ColumnMap,
    haversine_km,
    map_columns,
    norm,
    parse_geopoint,
    parse_site,
    parse_value,
    rejected,
)
from riskreg.fieldforms.reader import Table
from riskreg.fieldforms.xlsform import POSITION, SITE, VERSION, ObservationSpec
from riskreg.i18n import gettext as _
from riskreg.imports.reader import CellError, Problem, as_text
from riskreg.sites import monitoring
from riskreg.sites.models import AsmObservation, ObservationLocation, Site

CHUNK = 500
GEO = ("", "lat", "lon")  # the keys of ColumnMap.geo: one string, or split
MAX_SUBMISSION_ID = 120


@dataclass(frozen=True)
class SiteFacts:
    id: int
    name: str
    active: bool
    latitude: float | None
    longitude: float | None


@dataclass
class Lookups:
    sites: dict[int, SiteFacts]
    by_name: dict[str, int]  # normalised name -> id
    adjacent_km: float

    @classmethod
    def load(cls) -> Lookups:
        rows = db.session.execute(sa.select(Site.id, Site.name, Site.active, Site.latitude, Site.longitude))
        sites = {r.id: SiteFacts(r.id, r.name, r.active, r.latitude, r.longitude) for r in rows}
        by_name = {norm(s.name): s.id for s in sites.values()}
        return cls(sites, by_name, monitoring.adjacent_km())


def imported_before(submission_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(submission_ids), CHUNK):
        chunk = submission_ids[start : start + CHUNK]
        stmt = sa.select(AsmObservation.submission_id).where(AsmObservation.submission_id.in_(chunk))
        found.update(db.session.scalars(stmt))
    return found


@dataclass
class NewObservation:
    row: int
    submission_id: str
    site_id: int
    values: dict[str, Any]  # as monitoring.add_observation takes them
    worked_out: tuple[str, ...] = ()  # fields riskreg computed from the GPS point


@dataclass
class Plan:
    new: list[NewObservation] = field(default_factory=list)
    already: list[tuple[int, str]] = field(default_factory=list)  # (row, submission id)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # rejected by a reviewer in the tool
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def site_ids(self) -> list[int]:
        return sorted({n.site_id for n in self.new})

    def digest(self) -> str:
        content: list[Any] = ["fieldforms"]
        content += [[n.row, n.submission_id, n.site_id, _plain(n.values)] for n in self.new]
        content += [["before", row, sid] for row, sid in self.already]
        content += [["rejected", row, sid] for row, sid in self.rejected]
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {name: audit.plain(value) for name, value in values.items()}


def submission_id(cells: list[Any], columns: ColumnMap) -> str | None:
    """KEY, _uuid or meta/instanceID, without the "uuid:" prefix (the same id in both tools)."""
    for index in columns.submission:
        value = cells[index]
        if value not in (None, ""):
            text = as_text(value).strip()
            return text[5:] if text.lower().startswith("uuid:") else text
    return None


def make_plan(table: Table, spec: ObservationSpec, lookups: Lookups) -> Plan:
    columns, problems = map_columns(table.headers, spec)
    plan = Plan(problems=problems, ignored=columns.ignored)
    if not table.rows:
        plan.problems.append(Problem(0, "", _("The file has no submissions (only a header row).")))
    if plan.problems:  # without the columns, every row would only repeat the same problem
        return plan
    ids = [sid for _row, cells in table.rows if (sid := submission_id(cells, columns))]
    before = imported_before(sorted(set(ids)))
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        sid = submission_id(cells, columns)
        header = columns.headers[columns.submission[0]]
        if sid is None:
            plan.problems.append(Problem(number, header, _("The submission id is empty.")))
        elif len(sid) > MAX_SUBMISSION_ID:
            plan.problems.append(Problem(number, header, _("The submission id is too long to be one.")))
        elif sid in seen:
            plan.problems.append(
                Problem(number, header, _("The same submission as row %(row)s.", row=seen[sid]))
            )
        elif sid in before:
            seen[sid] = number
            plan.already.append((number, sid))
        elif rejected(cells, columns):
            seen[sid] = number
            plan.rejected.append((number, sid))
        else:
            seen[sid] = number
            _read_row(number, sid, cells, columns, spec, lookups, plan)
    return plan


@dataclass
class _Row:
    """One submission being read: its cells, and the problems found in it so far."""

    number: int
    cells: list[Any]
    columns: ColumnMap
    problems: list[Problem] = field(default_factory=list)

    def cell(self, name: str) -> Any:
        index = self.columns.fields.get(name)
        return self.cells[index] if index is not None else None

    def problem(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.number, self.columns.header(name), message))


def _read_row(
    number: int,
    sid: str,
    cells: list[Any],
    columns: ColumnMap,
    spec: ObservationSpec,
    lookups: Lookups,
    plan: Plan,
) -> None:
    row = _Row(number, cells, columns)
    version = cells[columns.version] if columns.version is not None else None
    if version is None or as_text(version).split(".")[0] != spec.definition:
        header = columns.headers[columns.version] if columns.version is not None else VERSION
        if version is not None:
            message = _(
                "Made with version %(version)s of the observation form; riskreg knows version %(current)s, "
                "whose questions or choices differ. Collect with the form downloaded from riskreg now.",
                version=as_text(version),
                current=spec.version,
            )
        else:
            message = _(
                "Made with an unknown version of the observation form; riskreg knows version %(current)s, "
                "whose questions or choices differ. Collect with the form downloaded from riskreg now.",
                current=spec.version,
            )
        plan.problems.append(Problem(number, header, message))
        return
    site = _site(row, lookups)
    values = {"submission_id": sid, **_answers(row, spec)}
    try:
        point = parse_geopoint(*(cells[i] if i is not None else None for i in map(columns.geo.get, GEO)))
    except CellError as error:
        row.problems.append(Problem(number, POSITION, str(error)))
        point = None
    if row.problems or site is None:
        plan.problems += row.problems
        return
    worked_out = _locate(values, point, site, lookups.adjacent_km)
    try:
        if values["location"] is None:
            if point:
                message = _(
                    "Where: required, as riskreg has no coordinates for %(site)s, so it cannot tell "
                    "where from the GPS point.",
                    site=site.name,
                )
            else:
                message = _("Where: required, as no GPS point was taken.")
            raise monitoring.MonitoringError("location", message)
        monitoring.check_observation(values)
    except monitoring.MonitoringError as error:
        row.problem(error.field, str(error))
        plan.problems += row.problems
        return
    plan.new.append(NewObservation(number, sid, site.id, values, worked_out))


def _site(row: _Row, lookups: Lookups) -> SiteFacts | None:
    try:
        if row.cell(SITE) is None:
            raise CellError(_("The site is required but empty."))
        site = lookups.sites[parse_site(row.cell(SITE), lookups.sites, lookups.by_name)]
        if not site.active:
            raise CellError(_("The site %(site)s is inactive in riskreg.", site=site.name))
    except CellError as error:
        row.problem(SITE, str(error))
        return None
    return site


def _answers(row: _Row, spec: ObservationSpec) -> dict[str, Any]:
    """Each question's answer as riskreg stores it (None when empty or wrong, with a problem)."""
    values: dict[str, Any] = {}
    aliases: dict[str, dict[str, str]] = {}
    for name, label, value in spec.choice_aliases:
        aliases.setdefault(name, {})[norm(label)] = value
    for question in spec.fields:
        raw, values[question.name] = row.cell(question.name), None
        if raw is None:
            if question.required and question.name != "location":  # Where may come from the GPS point
                row.problem(question.name, _("%(question)s: required but empty.", question=question.label))
            continue
        try:
            values[question.name] = parse_value(question, raw, aliases.get(question.name))
        except CellError as error:
            row.problem(question.name, str(error))
    return values


def _locate(
    values: dict[str, Any], point: tuple[float, float] | None, site: SiteFacts, adjacent_km: float
) -> tuple[str, ...]:
    """Distance from the GPS point to the site, and the location from the distance, when not given."""
    worked_out = []
    location = values.get("location")
    has_coordinates = site.latitude is not None and site.longitude is not None
    if point and has_coordinates and location is not ObservationLocation.ON_CONCESSION:
        if values.get("distance_km") is None:
            values["distance_km"] = round(haversine_km(point, (site.latitude, site.longitude)), 2)
            worked_out.append("distance_km")
    if location is None and values.get("distance_km") is not None:
        near = values["distance_km"] <= adjacent_km
        values["location"] = ObservationLocation.ADJACENT if near else ObservationLocation.DISTANT
        worked_out.append("location")
    return tuple(worked_out)
