"""Dashboard filters from the query string: the register's filters, restricted, plus the view.

The dashboard counts open risks unless told otherwise (`status=all` means every risk that is not
archived, as on the register). Anything it does not understand is a 400 that says why: a
bookmarked dashboard must never silently show something other than what its URL says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.i18n import gettext as _
from riskreg.risks.filters import RiskFilters, parse_risk_filters
from riskreg.risks.models import Direction, RiskStatus
from riskreg.urls import query_url

VIEWS = ("compare", "inherent", "residual", "target")
VIEW_LABELS = {
    "compare": _l("Inherent vs residual"),
    "inherent": _l("Inherent"),
    "residual": _l("Residual"),
    "target": _l("Target"),
}
# The direction toggle above the heatmaps: short words for the three directions (and all of them).
DIRECTION_TOGGLE: tuple[tuple[Direction | None, str], ...] = (
    (None, _l("All")),
    (Direction.TO_COMPANY, _l("To the company")),
    (Direction.TO_COMMUNITIES, _l("To communities")),
    (Direction.TO_ASM, _l("To ASM")),
)
RISK_PARAMS = ("site", "direction", "category", "department", "status")
PARAMS = (*RISK_PARAMS, "view")
LANG_PARAM = "lang"  # ?lang=fr sets the session's language on any page (riskreg.i18n), not a filter
STATUS_ALL = "all"
# Placeholders in the register URLs a page draws dozens of (no filter value can hold them, and
# url_for leaves them as they are), and what may replace them as it is: what url_for leaves as is.
PLACEHOLDERS = {
    "likelihood": "LEVEL-L",
    "impact": "LEVEL-I",
    "band": "BAND-KEY",
    "direction": "DIRECTION-KEY",
}
AS_IS = re.compile(r"[A-Za-z0-9_.~-]+")
DEFAULT_STATUS = RiskStatus.OPEN


@dataclass(frozen=True)
class DashboardFilters:
    risk: RiskFilters
    view: str = "compare"
    all_statuses: bool = False

    @property
    def bases(self) -> tuple[str, ...]:
        return ("inherent", "residual") if self.view == "compare" else (self.view,)

    def args(self, **overrides: Any) -> dict[str, Any]:
        """The dashboard's own URL arguments (defaults left out, so URLs stay short)."""
        args = self.risk.query_args()
        if self.all_statuses:
            args["status"] = STATUS_ALL
        elif self.risk.status is DEFAULT_STATUS:
            args.pop("status", None)
        args["view"] = self.view
        args.update(overrides)
        if args["view"] == "compare":
            del args["view"]
        return {key: value for key, value in args.items() if value not in (None, "")}

    def register_args(self, basis: str = "residual", **overrides: Any) -> dict[str, Any]:
        """Arguments for /risks that select exactly the risks this dashboard counts."""
        return self.risk.query_args(basis=basis, **overrides)

    def tracker_url(self, **filters: Any) -> str:
        """/controls narrowed to this dashboard's department and site (the tracker has no direction
        or category filter), plus `filters`."""
        args: dict[str, Any] = {"site": "corporate"} if self.risk.corporate else {"site": self.risk.site}
        args["department"] = self.risk.department
        args.update(filters)
        return url_for("controls.list", **{key: value for key, value in args.items() if value is not None})

    def _register_url(self, basis: str, **values: str) -> str:
        """/risks under this dashboard's filters, on `basis`, narrowed by `values` (levels, a band,
        a direction). A page draws up to 150 heatmap cells and dozens of band links: the URL is built
        once per basis and kind of link with placeholders, then filled in."""
        if not all(AS_IS.fullmatch(value) for value in values.values()):  # url_for would encode it
            return url_for("risks.list", **self.register_args(basis, **values))
        urls = self.__dict__.setdefault("_urls", {})
        key = (basis, *values)
        url = urls.get(key)
        if url is None:
            holes = {name: PLACEHOLDERS[name] for name in values}
            url = urls[key] = url_for("risks.list", **self.register_args(basis, **holes))
        for name, value in values.items():
            url = url.replace(PLACEHOLDERS[name], value)
        return url

    def cell_url(self, basis: str, likelihood: int, impact: int) -> str:
        """The register's URL for one heatmap cell: levels are digits, which url_for writes as
        they are, so the URL with both holes is built once per basis and filled in per cell."""
        cells = self.__dict__.setdefault("_cell_urls", {})
        url = cells.get(basis)
        if url is None:
            url = cells[basis] = self._register_url(
                basis, likelihood=PLACEHOLDERS["likelihood"], impact=PLACEHOLDERS["impact"]
            )
        return url.replace(PLACEHOLDERS["likelihood"], str(int(likelihood))).replace(
            PLACEHOLDERS["impact"], str(int(impact))
        )

    def band_url(self, basis: str, band: str) -> str:
        return self._register_url(basis, band=band)

    def direction_url(self, direction: Direction | None) -> str:
        """This dashboard for one direction (None: all of them), every other filter and the view kept."""
        return self.url(direction=direction.value if direction else None)

    def url(self, **overrides: Any) -> str:
        """This dashboard with `overrides` (a view, a direction): url_for's URL, its path built once
        per page (riskreg.urls.query_url) for the page's dozen such links."""
        build = self.__dict__.get("_index_url")
        if build is None:
            build = self.__dict__["_index_url"] = query_url("dashboard.index")
        return build(self.args(**overrides))

    def direction_band_url(self, direction: Direction, band: str, basis: str = "residual") -> str:
        """/risks: the risks of one direction in one band, under this dashboard's other filters."""
        return self._register_url(basis, band=band, direction=direction.value)

    @property
    def status_value(self) -> str:
        return STATUS_ALL if self.all_statuses else self.risk.status.value if self.risk.status else ""

    @property
    def narrowed(self) -> bool:
        """Any filter beyond the default status."""
        return bool(self.risk.query_args(status=None)) or self.status_value != DEFAULT_STATUS.value

    @property
    def trend_ignores(self) -> list[str]:
        """Filters the monthly snapshots cannot follow (they keep site and direction only)."""
        ignored = [name for name in ("category", "department") if getattr(self.risk, name) is not None]
        if self.status_value != DEFAULT_STATUS.value:
            ignored.append("status")
        return ignored


def parse_dashboard_filters(args: MultiDict) -> DashboardFilters:
    unknown = sorted(set(args) - set(PARAMS) - {LANG_PARAM})
    if unknown:
        raise BadRequest(
            _(
                "The dashboard has no filter called %(unknown)s; it takes %(known)s.",
                unknown=", ".join(repr(u) for u in unknown),
                known=", ".join(PARAMS),
            )
        )
    view = args.get("view", "").strip() or "compare"
    if view not in VIEWS:
        raise BadRequest(
            _(
                "Filter 'view' must be one of %(views)s; %(view)s is not.",
                views=", ".join(VIEWS),
                view=repr(view),
            )
        )
    status = args.get("status", "").strip()
    all_statuses = status == STATUS_ALL
    risk_args = MultiDict({name: args.get(name, "") for name in RISK_PARAMS})
    if all_statuses:
        risk_args["status"] = ""
    elif status == "":
        risk_args["status"] = DEFAULT_STATUS.value
    try:
        risk = parse_risk_filters(risk_args)
    except BadRequest as error:
        if status and not all_statuses and "'status'" in (error.description or ""):
            raise BadRequest(
                _(
                    "%(problem)s Use status=%(all)s for every risk not archived.",
                    problem=error.description,
                    all=STATUS_ALL,
                )
            ) from error
        raise
    return DashboardFilters(risk=risk, view=view, all_statuses=all_statuses)


def with_basis(filters: RiskFilters, basis: str) -> RiskFilters:
    return replace(filters, basis=basis)
