"""Field data: the observation form as it is now, and applying an import plan (flushes, never commits)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.fieldforms import xlsform
from riskreg.fieldforms.plan import Plan
from riskreg.i18n import gettext, in_every_language, language
from riskreg.i18n.languages import LANGUAGES
from riskreg.sites import monitoring
from riskreg.sites.forms import ObservationForm
from riskreg.sites.models import Site

logger = logging.getLogger(__name__)


class AlreadyImported(RuntimeError):
    """A submission of the plan was imported by someone else since the preview."""


def _sites() -> tuple[tuple[int, str], ...]:
    rows = db.session.execute(sa.select(Site.id, Site.name).where(Site.active).order_by(Site.name, Site.id))
    return tuple((s.id, s.name) for s in rows)


def _fields() -> tuple[xlsform.FormField, ...]:
    """The web form's questions in the current language."""
    return xlsform.fields_of(ObservationForm(formdata=None, meta={"csrf": False}))


def observation_spec() -> xlsform.ObservationSpec:
    """The web form's questions (in the current language) and the active sites (needs an app
    context, not a request); with the questions' and choices' words in every language, so an export
    with labels in any of them is read."""
    fields = _fields()
    aliases, choice_aliases = set(), set()
    for fields_here in in_every_language(lambda: (gettext("Site"), _fields())):
        site_word, fields_in_language = fields_here
        aliases.add((site_word, xlsform.SITE))
        for f in fields_in_language:
            aliases.add((f.label, f.name))
            choice_aliases.update((f.name, label, value) for value, label in f.choices)
    return xlsform.ObservationSpec(fields, _sites(), tuple(sorted(aliases)), tuple(sorted(choice_aliases)))


def observation_specs() -> dict[str, xlsform.ObservationSpec]:
    """The spec in each language ({code: spec}), for the XLSForm's columns per language."""
    sites = _sites()
    specs = {}
    for code in LANGUAGES:
        with language(code):
            specs[code] = xlsform.ObservationSpec(_fields(), sites)
    return specs


def apply_plan(plan: Plan, actor: Any, filename: str) -> int:
    """Record every new observation of the plan, audited; raises what the services raise."""
    if not plan.ok:
        raise ValueError("a plan with problems cannot be applied")
    sites = {s.id: s for s in db.session.scalars(sa.select(Site).where(Site.id.in_(plan.site_ids())))}
    for new in plan.new:
        observation = monitoring.add_observation(sites[new.site_id], new.values, actor, refresh=False)
        _annotate(observation.id, f"from {filename}, submission {new.submission_id}")
    db.session.flush()
    after_observations_imported(plan.site_ids(), actor)
    return len(plan.new)


def _annotate(observation_id: int, note: str) -> None:
    """Add the file and the submission to the observation's audit event (still pending here:
    add_observation flushes the observation, then adds the event)."""
    for pending in db.session.new:
        if isinstance(pending, AuditEvent) and pending.entity == "asm_observation":
            if pending.entity_id == observation_id:
                pending.note = f"{pending.note}; imported {note}" if pending.note else f"Imported {note}"


def after_observations_imported(site_ids: Iterable[int], actor: Any) -> None:
    """Bring each site touched by an import up to date once, however many rows it had: its ASM
    presence and its key risk indicators (with their triggers and flags)."""
    from riskreg.indicators.services import recompute_sites

    ids = sorted(set(site_ids))
    for site in db.session.scalars(sa.select(Site).where(Site.id.in_(ids)).order_by(Site.id)):
        monitoring.refresh_presence(site, actor)
    recompute_sites(ids, actor)
