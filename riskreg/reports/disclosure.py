"""The ASM disclosure (GRI MM8 / GRI 14.13) for one calendar year, from a few GROUP BY queries.

- Operating sites: active sites whose lifecycle is in DISCLOSURE_LIFECYCLES (default: operating
  only; construction, exploration and closure sites are listed but not counted). Lifecycle as it
  stands today: riskreg keeps no lifecycle history.
- ASM on or adjacent in the year: at least one observation dated in that year that records ASM on
  the concession, adjacent to it, or within ASM_ADJACENT_KM (the rule of the site's presence, with
  the calendar year as window). For the current year, a presence set by hand (with its reason)
  overrides the observations: it is the company's stated view of the site today.
- Associated risks: the site's open risks in the register today, by direction and residual band.
- Actions: distinct controls mitigating those risks, by status (cancelled controls left out).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import BadRequest

from riskreg import scoring
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.i18n import pgettext
from riskreg.modeling import today
from riskreg.params import is_digits
from riskreg.sites.models import AsmObservation, AsmPresence, PresenceSource, Site
from riskreg.sites.monitoring import LEVEL_PRESENCE, adjacent_km, level_expression

MIN_YEAR = 2000
ACTION_STATUSES = ("planned", "in_progress", "implemented", "verified")
COUNT, PERCENT = "0", "0.0%"  # number formats of the workbook sheet's headline figures


def parse_year(raw: str | None) -> int:
    """The ?year= parameter: this year when absent; 400 with a message when it is not a valid year."""
    current = today().year
    raw = (raw or "").strip()
    if not raw:
        return current
    if not is_digits(raw) or len(raw) != 4:
        raise BadRequest(
            _(
                "'year' must be a four-digit year such as %(current)s, not %(raw)s.",
                current=current,
                raw=repr(raw),
            )
        )
    year = int(raw)
    if year > current:
        raise BadRequest(
            _(
                "The year %(year)s has not happened yet; choose %(current)s or earlier.",
                year=year,
                current=current,
            )
        )
    if year < MIN_YEAR:
        raise BadRequest(_("'year' must be %(year)s or later.", year=MIN_YEAR))
    return year


@dataclass
class SiteLine:
    site_id: int | None
    name: str
    country: str = ""
    lifecycle: str = ""
    counted: bool = False
    presence: AsmPresence = AsmPresence.NONE
    basis: str = ""  # how the presence was arrived at (disclosure_report says it)
    observations: int = 0
    max_miners: int | None = None
    risks: Counter = field(default_factory=Counter)  # (direction value, band key) -> open risks
    controls: Counter = field(default_factory=Counter)  # status value -> distinct controls

    @property
    def with_asm(self) -> bool:
        return self.presence is not AsmPresence.NONE

    @property
    def risk_total(self) -> int:
        return sum(self.risks.values())

    @property
    def control_total(self) -> int:
        return sum(self.controls.values())


@dataclass
class DisclosureReport:
    year: int
    lifecycles: tuple[str, ...]
    adjacent_km: float
    sites: list[SiteLine]
    total: SiteLine  # risks and controls over the counted sites with ASM
    corporate: SiteLine  # group-level risks, not tied to a site

    @property
    def operating(self) -> list[SiteLine]:
        return [line for line in self.sites if line.counted]

    @property
    def with_asm(self) -> list[SiteLine]:
        return [line for line in self.operating if line.with_asm]

    def count(self, presence: AsmPresence) -> int:
        return sum(1 for line in self.operating if line.presence is presence)

    @property
    def percentage(self) -> float | None:
        if not self.operating:
            return None
        return round(100 * len(self.with_asm) / len(self.operating), 1)


def disclosure_report(year: int) -> DisclosureReport:
    from riskreg.controls.models import Control, ControlStatus, risk_controls
    from riskreg.risks.models import Risk, RiskStatus

    matrix = scoring.matrix()
    lifecycles = tuple(current_app.config["DISCLOSURE_LIFECYCLES"])
    start, end = date(year, 1, 1), date(year, 12, 31)
    lines = {
        site.id: SiteLine(
            site.id,
            site.name,
            site.country,
            str(site.lifecycle.label),
            site.lifecycle.value in lifecycles,
            basis=_("No observation in the year"),
        )
        for site in db.session.scalars(sa.select(Site).where(Site.active.is_(True)).order_by(Site.name))
    }
    manual = {
        sid: (presence, reason)
        for sid, presence, reason in db.session.execute(
            sa.select(Site.id, Site.asm_presence, Site.asm_presence_reason).where(
                Site.asm_presence_source == PresenceSource.MANUAL
            )
        )
    }
    observed = db.session.execute(
        sa.select(
            AsmObservation.site_id,
            sa.func.count(AsmObservation.id),
            sa.func.max(level_expression(adjacent_km())),
            sa.func.max(AsmObservation.miners_estimate),
        )
        .where(AsmObservation.observed_on.between(start, end))
        .group_by(AsmObservation.site_id)
    )
    for site_id, count, level, miners in observed:
        if site_id in lines:
            line = lines[site_id]
            line.observations, line.max_miners = count, miners
            line.presence, line.basis = LEVEL_PRESENCE[int(level or 0)], _("Observations in the year")
    if year == today().year:
        for site_id, (presence, reason) in manual.items():
            if site_id in lines:
                lines[site_id].presence, lines[site_id].basis = (
                    AsmPresence(presence),
                    _("Set by hand: %(reason)s", reason=reason),
                )

    corporate = SiteLine(None, _("Group (corporate risks)"))
    risk_rows = db.session.execute(
        sa.select(
            Risk.site_id, Risk.direction, Risk.residual_likelihood, Risk.residual_impact, sa.func.count()
        )
        .where(Risk.status == RiskStatus.OPEN)
        .group_by(Risk.site_id, Risk.direction, Risk.residual_likelihood, Risk.residual_impact)
    )
    by_site_and_direction = matrix.tally_by(
        ((site_id, direction), lk, im, direction, n) for site_id, direction, lk, im, n in risk_rows
    )
    for (site_id, direction), bands in by_site_and_direction.items():
        line = corporate if site_id is None else lines.get(site_id)
        if line is not None:
            for band_key, count in bands.items():
                line.risks[(getattr(direction, "value", direction), band_key)] += count

    def actions(*columns: Any) -> sa.Select:
        return (
            sa.select(*columns, Control.status, sa.func.count(sa.distinct(Control.id)))
            .join(risk_controls, risk_controls.c.control_id == Control.id)
            .join(Risk, Risk.id == risk_controls.c.risk_id)
            .where(Risk.status == RiskStatus.OPEN, Control.status != ControlStatus.CANCELLED)
        )

    for site_id, status, count in db.session.execute(
        actions(Risk.site_id).group_by(Risk.site_id, Control.status)
    ):
        line = corporate if site_id is None else lines.get(site_id)
        if line is not None:
            line.controls[getattr(status, "value", status)] += count

    total = SiteLine(None, _("Total: operating sites with ASM on or adjacent"))
    counted_ids = [line.site_id for line in lines.values() if line.counted and line.with_asm]
    for line in lines.values():
        if line.site_id in counted_ids:
            total.risks.update(line.risks)
            total.observations += line.observations
    if counted_ids:  # a control mitigating risks at two sites is one action in the total
        for status, count in db.session.execute(
            actions().where(Risk.site_id.in_(counted_ids)).group_by(Control.status)
        ):
            total.controls[getattr(status, "value", status)] += count
    return DisclosureReport(year, lifecycles, adjacent_km(), list(lines.values()), total, corporate)


def columns() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(direction, band) risk columns and (status, label) control columns, in display order."""
    from riskreg.controls.models import ControlStatus
    from riskreg.risks.models import Direction

    matrix = scoring.matrix()
    risk_columns = [(d.value, b.key) for d in Direction for b in matrix.bands]
    control_columns = [(s, str(ControlStatus(s).label)) for s in ACTION_STATUSES]
    return risk_columns, control_columns


@dataclass
class DisclosureSheet:
    """What an `ASM disclosure` workbook sheet holds, numbers as numbers."""

    year: int
    headers: list[str]
    sites: list[list[Any]]  # one row per active site
    total: list[Any]  # operating sites with ASM on or adjacent (a shared control counted once)
    corporate: list[Any]  # group-level risks and actions, not in the total
    figures: list[tuple[str, float | None, str]]  # the headline: label, value, number format
    notes: list[str]
    grievances: list[list[Any]] = field(default_factory=list)  # ASM-related, per site (no identity)
    grievance_headers: list[str] = field(default_factory=list)  # GRIEVANCE_HEADERS, translated


# The grievance block's headers in English (what the workbook has always written); the reader's
# language comes from grievance_headers(), plain strings for the workbook's cells.
GRIEVANCE_HEADERS = (
    "Site",
    "Grievances received",
    "Closed",
    "Open",
    "Reached appeal",
    "Alleging a human-rights impact",
    "Categories",
)


def grievance_headers() -> list[str]:
    return [
        _("Site"),
        _("Grievances received"),
        _("Closed"),
        pgettext("grievances", "Open"),
        _("Reached appeal"),
        _("Alleging a human-rights impact"),
        _("Categories"),
    ]


def disclosure_sheet_rows(year: int) -> DisclosureSheet:
    """The rows of the report for one year: per site, the total, the group; the headline below."""
    from riskreg.i18n.reference import translate
    from riskreg.risks.models import Direction

    report = disclosure_report(year)
    matrix = scoring.matrix()
    risk_columns, control_columns = columns()
    headers = [
        _("Site"),
        _("Country"),
        _("Lifecycle"),
        _("Counted as operating"),
        _("ASM on or adjacent in %(year)s", year=year),
        _("Basis"),
        _("Observations in the year"),
        _("Most miners estimated"),
        *[
            _(
                "Open risks: %(direction)s · %(band)s",
                direction=Direction(d).label,
                band=translate(matrix.band_by_key(b).label),
            )
            for d, b in risk_columns
        ],
        _("Open risks"),
        *[_("Controls: %(status)s", status=label) for _status, label in control_columns],
        _("Controls"),
    ]

    def row(line: SiteLine, counted: str, presence: str) -> list[Any]:
        return [
            line.name,
            line.country,
            line.lifecycle,
            counted,
            presence,
            line.basis if line.site_id is not None else "",
            line.observations,
            line.max_miners,
            *[line.risks.get(key, 0) for key in risk_columns],
            line.risk_total,
            *[line.controls.get(status, 0) for status, _ in control_columns],
            line.control_total,
        ]

    operating, with_asm = len(report.operating), len(report.with_asm)
    on = today()
    from riskreg.grievances.queries import disclosure_grievances  # the report page's own figures

    grievances = [
        [g.site, g.received, g.closed, g.open, g.reached_appeal, g.human_rights,
         ", ".join(f"{label} ({n})" for label, n in g.categories)]
        for g in disclosure_grievances(year)
    ]  # fmt: skip
    return DisclosureSheet(
        grievances=grievances,
        grievance_headers=grievance_headers(),
        year=year,
        headers=headers,
        sites=[
            row(line, _("Yes") if line.counted else _("No"), str(line.presence.label))
            for line in report.sites
        ],
        total=row(report.total, "", _("%(part)s of %(whole)s", part=with_asm, whole=operating)),
        corporate=row(report.corporate, "", ""),
        figures=[
            (_("Operating sites"), operating, COUNT),
            (_("Operating sites with ASM on or adjacent in %(year)s", year=year), with_asm, COUNT),
            # a real fraction shown as a percentage (the page rounds the same number to 0.1 %)
            (_("Percentage"), with_asm / operating if operating else None, PERCENT),
            (_("ASM on the site"), report.count(AsmPresence.ON_SITE), COUNT),
            (_("ASM adjacent"), report.count(AsmPresence.ADJACENT), COUNT),
            (_("No ASM recorded"), report.count(AsmPresence.NONE), COUNT),
        ],
        notes=[
            _(
                "Operating sites: active sites whose lifecycle is %(lifecycles)s (as recorded today).",
                lifecycles=lifecycle_words(report.lifecycles),
            ),
            (
                _(
                    "ASM on or adjacent: an observation dated in %(year)s records ASM on the concession, "
                    "adjacent to it or within %(km)s km (or the presence is set by hand, with its reason).",
                    year=year,
                    km=f"{report.adjacent_km:g}",
                )
                if year == on.year
                else _(
                    "ASM on or adjacent: an observation dated in %(year)s records ASM on the concession, "
                    "adjacent to it or within %(km)s km.",
                    year=year,
                    km=f"{report.adjacent_km:g}",
                )
            ),
            _(
                "Risks: open risks in the register on %(day)s, by direction and residual band. "
                "Controls: the distinct controls mitigating them, by status (cancelled ones left out); "
                "a control shared by two sites counts once in the total.",
                day=on.isoformat(),
            ),
            _("Group-level (corporate) risks and their controls are shown apart and are not in the total."),
            _(
                "Grievances related to ASM: received in %(year)s, raised by an ASM stakeholder or linked to "
                "a risk to ASM; counts only, never who raised them.",
                year=year,
            ),
        ],
    )


def lifecycle_words(lifecycles: tuple[str, ...]) -> str:
    """ "operating or construction": the lifecycles counted as operating, as the reader says them."""
    from riskreg.sites.models import Lifecycle

    words = []
    for value in lifecycles:
        try:
            words.append(str(Lifecycle(value).label).lower())
        except ValueError:
            words.append(value)
    return _(" or ").join(words) if len(words) > 1 else "".join(words)
