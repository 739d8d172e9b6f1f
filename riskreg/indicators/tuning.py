"""Tuning an indicator at a site: thresholds and owner (admins), risks linked by hand. Audited;
flushes only. Bad input raises IndicatorError naming the field, before anything is written."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.extensions import db
from riskreg.indicators import compute
from riskreg.indicators.models import SiteIndicator, indicator_links
from riskreg.indicators.services import IndicatorError, recompute_sites

# The thresholds as the messages name them ("Give the amber threshold.").
STATE_WORDS = {"amber": _l("amber"), "red": _l("red")}


def threshold_problem(worse: str, amber: float) -> Any:
    """compute.check_thresholds' reason, in the reader's language."""
    if worse == "lower":
        return _l(
            "Red must be below amber for an indicator where lower is worse (amber %(amber)s).",
            amber=compute.fmt(amber),
        )
    return _l(
        "Red must be above amber for an indicator where higher is worse (amber %(amber)s).",
        amber=compute.fmt(amber),
    )


def parse_threshold(raw: Any, field: str, label: str) -> float:
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if text == "":
        raise IndicatorError(field, _l("Give the %(state)s threshold.", state=STATE_WORDS[label]))
    try:
        number = float(text)
    except ValueError:
        raise IndicatorError(
            field,
            _l(
                "The %(state)s threshold must be a number, not %(raw)s.",
                state=STATE_WORDS[label],
                raw=repr(str(raw)),
            ),
        ) from None
    if not math.isfinite(number) or abs(number) > 1e9:
        raise IndicatorError(
            field, _l("The %(state)s threshold must be an ordinary number.", state=STATE_WORDS[label])
        )
    return number


def update_indicator(
    indicator: SiteIndicator, data: dict[str, Any], actor: Any, expected_version: int
) -> dict:
    """New thresholds and owner (audited); the status follows the new thresholds at once."""
    from riskreg.auth.models import User

    if expected_version != indicator.version:
        raise IndicatorError(
            "version", _l("Someone else changed this indicator since you opened it; try again.")
        )
    amber = parse_threshold(data.get("amber"), "amber", "amber")
    red = parse_threshold(data.get("red"), "red", "red")
    problem = compute.check_thresholds(amber, red, indicator.definition.worse.value)
    if problem:
        raise IndicatorError("red", threshold_problem(indicator.definition.worse.value, amber))
    owner_id = data.get("owner_id") or None
    if owner_id is not None:
        owner = db.session.get(User, int(owner_id))
        if owner is None or not owner.active:
            raise IndicatorError("owner_id", _l("Choose an active user as the owner."))
    before = audit.snapshot(indicator, ("amber", "red", "owner_id"))
    indicator.amber, indicator.red, indicator.owner_id = amber, red, owner_id
    changes = audit.diff(before, audit.snapshot(indicator, ("amber", "red", "owner_id")))
    if changes:
        indicator.version += 1
        db.session.flush()
        audit.record("site_indicator", indicator.id, "update", actor, changes, indicator.definition.label)
        recompute_sites([indicator.site_id], actor)
    return changes


def link_risk(indicator: SiteIndicator, risk: Any, actor: Any) -> None:
    from riskreg.risks.models import RiskStatus

    if risk is None:
        raise IndicatorError("risk_id", _l("There is no such risk."))
    if risk.site_id != indicator.site_id:
        raise IndicatorError(
            "risk_id",
            _l(
                "%(ref)s is not at this indicator's site: an indicator informs its own site's risks.",
                ref=risk.ref,
            ),
        )
    if risk.status is RiskStatus.ARCHIVED:
        raise IndicatorError("risk_id", _l("%(ref)s is archived.", ref=risk.ref))
    exists = db.session.scalar(
        sa.select(indicator_links.c.risk_id).where(
            indicator_links.c.site_indicator_id == indicator.id, indicator_links.c.risk_id == risk.id
        )
    )
    if exists or risk.category in indicator.definition.categories:
        raise IndicatorError("risk_id", _l("%(ref)s is already linked to this indicator.", ref=risk.ref))
    db.session.execute(sa.insert(indicator_links).values(site_indicator_id=indicator.id, risk_id=risk.id))
    audit.record("site_indicator", indicator.id, "link", actor, {"risks": [None, risk.ref]})


def unlink_risk(indicator: SiteIndicator, risk: Any, actor: Any) -> None:
    result = db.session.execute(
        sa.delete(indicator_links).where(
            indicator_links.c.site_indicator_id == indicator.id, indicator_links.c.risk_id == risk.id
        )
    )
    if not result.rowcount:
        raise IndicatorError("risk_id", _l("%(ref)s is not linked to this indicator by hand.", ref=risk.ref))
    audit.record("site_indicator", indicator.id, "unlink", actor, {"risks": [risk.ref, None]})
