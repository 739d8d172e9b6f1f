"""Engagements with ASM stakeholders at a site, with their follow-up controls; audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.sites.models import Engagement, EngagementMode, Site, StakeholderGroup, engagement_controls
from riskreg.sites.monitoring import MonitoringError, coerce_enums

ENGAGEMENT_FIELDS = ("held_on", "stakeholder_group", "mode", "topics", "grievances", "formalisation_support")


def follow_up_choices(site: Site) -> list[tuple[int, str]]:
    """Controls that may follow up an engagement here: those mitigating the site's risks (one query)."""
    from riskreg.controls.models import Control, ControlStatus, risk_controls
    from riskreg.risks.models import Risk, RiskStatus

    rows = db.session.execute(
        sa.select(Control.id, Control.ref, Control.title)
        .where(
            Control.id.in_(
                sa.select(risk_controls.c.control_id)
                .join(Risk, Risk.id == risk_controls.c.risk_id)
                .where(Risk.site_id == site.id, Risk.status != RiskStatus.ARCHIVED)
            ),
            Control.status != ControlStatus.CANCELLED,
        )
        .order_by(Control.id)
    )
    return [(control_id, f"{ref} {title}") for control_id, ref, title in rows]


def stakeholder_choices(site: Site) -> list[tuple[int, str]]:
    from riskreg.stakeholders.queries import plan_choices

    return plan_choices(site.id)


def add_engagement(site: Site, data: dict[str, Any], actor: Any) -> Engagement:
    """Record an engagement and link its follow-up controls (ids of the site's controls); flushes only."""
    held_on = data.get("held_on")
    if held_on is None:
        raise MonitoringError("held_on", _l("Give the date of the engagement."))
    if held_on > today():
        raise MonitoringError("held_on", _l("The date of an engagement cannot be in the future."))
    wanted = sorted({int(control_id) for control_id in data.get("follow_up_controls") or []})
    allowed = dict(follow_up_choices(site))
    unknown = [control_id for control_id in wanted if control_id not in allowed]
    if unknown:
        raise MonitoringError(
            "follow_up_controls",
            _l(
                "Follow-up controls must be controls of this site's risks; unknown: %(ids)s.",
                ids=", ".join(str(c) for c in unknown),
            ),
        )
    stakeholder_id = data.get("stakeholder_id") or None
    if stakeholder_id is not None:
        from riskreg.stakeholders.models import Stakeholder

        stakeholder = db.session.get(Stakeholder, int(stakeholder_id))
        if stakeholder is None or stakeholder.site_id != site.id:
            raise MonitoringError(
                "stakeholder_id", _l("The stakeholder met must be one of this site's stakeholders.")
            )
        if not stakeholder.active:  # kept on its past engagements, not logged with again
            raise MonitoringError(
                "stakeholder_id",
                _l("%(name)s is retired: restore it on the site page to choose it.", name=stakeholder.name),
            )
        stakeholder_id = stakeholder.id
    values = {name: data.get(name) for name in ENGAGEMENT_FIELDS}
    coerce_enums(values, {"stakeholder_group": StakeholderGroup, "mode": EngagementMode})
    for name in ("stakeholder_group", "mode"):
        if values[name] is None:
            raise MonitoringError(name, _l("This field is required."))
    values["topics"] = (values.get("topics") or "").strip()
    values["grievances"] = (values.get("grievances") or "").strip()
    values["formalisation_support"] = bool(values.get("formalisation_support"))
    engagement = Engagement(
        site_id=site.id, recorded_by_id=getattr(actor, "id", None), stakeholder_id=stakeholder_id, **values
    )
    db.session.add(engagement)
    db.session.flush()
    if wanted:
        db.session.execute(
            sa.insert(engagement_controls),
            [{"engagement_id": engagement.id, "control_id": control_id} for control_id in wanted],
        )
    snapshot = audit.snapshot(engagement, ("site_id", "stakeholder_id", *ENGAGEMENT_FIELDS))
    changes = {k: [None, v] for k, v in snapshot.items() if v not in (None, "")}
    if wanted:
        changes["follow_up_controls"] = [None, [allowed[c].split(" ", 1)[0] for c in wanted]]
    audit.record("engagement", engagement.id, "create", actor, changes, f"At {site.name}")
    from riskreg.indicators.services import recompute_sites  # grievances and engagements held

    recompute_sites([site.id], actor)
    return engagement
