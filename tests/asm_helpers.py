"""Helpers for the ASM monitoring, standards and disclosure tests (plain functions, not fixtures)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from riskreg.controls.models import Control, ControlStatus, risk_controls
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import format_ref
from riskreg.sites import monitoring
from riskreg.sites.models import AsmObservation, Site
from riskreg.standards import links
from riskreg.standards.catalogue import load_standards
from tests.conftest import department_id, statements


def load_catalogue() -> None:
    load_standards()
    db.session.commit()


def observe(site: Site, days_ago: int = 0, location: str = "on_concession", **over: Any) -> AsmObservation:
    values = {
        "observed_on": over.pop("observed_on", today() - timedelta(days=days_ago)),
        "location": location,
        "distance_km": over.pop("distance_km", None),
        "miners_estimate": over.pop("miners", 120),
        "minerals": "gold",
        "activity_type": "alluvial",
        "source": "patrol",
        **over,
    }
    observation = monitoring.add_observation(site, values, actor=None)
    db.session.commit()
    return observation


def make_control(
    title: str = "Boundary patrols",
    department: str = "Security",
    status: ControlStatus = ControlStatus.PLANNED,
    risks: Iterable[Any] = (),
    requirements: Iterable[str] = (),
    formalisation_support: bool = False,
) -> Control:
    control = Control(
        title=title,
        department_id=department_id(department),
        status=status,
        formalisation_support=formalisation_support,
    )
    db.session.add(control)
    db.session.flush()
    control.ref = format_ref("C", control.id)
    for risk in risks:
        db.session.execute(sa.insert(risk_controls).values(risk_id=risk.id, control_id=control.id))
    links.replace_links("control", control.id, list(requirements))
    db.session.commit()
    return control


def set_status(control: Control, status: ControlStatus) -> None:
    db.session.execute(sa.update(Control).where(Control.id == control.id).values(status=status))
    db.session.commit()


def count_queries():
    """Count the SQL statements sent while the block runs (requests included), BEGIN/COMMIT aside."""
    return statements(sql_only=True)


def row_html(html: str, marker: str) -> str:
    """The <tr> of a table whose data-site (or other data attribute) equals marker."""
    match = re.search(r"<tr[^>]*data-site=\"" + re.escape(marker) + r"\".*?</tr>", html, re.S)
    assert match, f"no row for {marker}"
    return match.group(0)


def cell_state(html: str, code: str, site_label: str) -> str:
    """covered / planned / gap of one cell of the /standards matrix."""
    pattern = (
        r"<td class=\"cov cov-(\w+)\" data-code=\""
        + re.escape(code)
        + r"\" data-site=\""
        + re.escape(site_label)
        + '"'
    )
    match = re.search(pattern, html)
    assert match, f"no cell {code} / {site_label}"
    return match.group(1)
