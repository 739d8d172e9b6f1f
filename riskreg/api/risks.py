"""/api/v1/risks: the register through the same filters, cursors and services as its pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from riskreg import audit, params, reference, scoring
from riskreg.api import schemas
from riskreg.api.io import if_match_version, respond, rule_broken, stale
from riskreg.api.problems import Problem
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.risks import queries, services
from riskreg.risks.filters import parse_risk_filters
from riskreg.risks.models import Risk
from riskreg.sites.models import Site


def _ref(obj: Any) -> schemas.NamedRef | None:
    return None if obj is None else schemas.NamedRef(id=obj.id, name=obj.name)


class _Bands:
    """The bands of the risks of one answer, each cell's worked out once: with the matrix, as
    Risk.inherent_band, residual_band and target_band do (a page of 50 risks asks 150 times, of a
    few cells)."""

    def __init__(self) -> None:
        self.matrix = scoring.matrix()
        self.found: dict[tuple[int, int, Any], schemas.Band] = {}

    def __call__(self, likelihood: int | None, impact: int | None, direction: Any) -> schemas.Band | None:
        if likelihood is None or impact is None:  # no target score
            return None
        key = (likelihood, impact, direction)
        band = self.found.get(key)
        if band is None:
            cell = self.matrix.band(likelihood, impact, direction)
            band = self.found[key] = schemas.Band(key=cell.key, label=cell.label)
        return band


# What a risk's summary reads straight off the risk (the links and bands are made by _common): named
# once, not looked up per risk (hasattr on a band would work the band out twice).
_LINKED = ("site", "owner", "inherent_band", "residual_band", "target_band")
_PLAIN = tuple(name for name in schemas.RiskSummary.model_fields if name not in _LINKED)


def _common(risk: Risk, bands: _Bands) -> dict[str, Any]:
    values = {name: getattr(risk, name) for name in _PLAIN}
    direction = values["direction"]
    values.update(
        site=_ref(risk.site),
        owner=_ref(risk.owner),
        inherent_band=bands(values["inherent_likelihood"], values["inherent_impact"], direction),
        residual_band=bands(values["residual_likelihood"], values["residual_impact"], direction),
        target_band=bands(values["target_likelihood"], values["target_impact"], direction),
    )
    return values


def summary(risk: Risk, bands: _Bands | None = None) -> schemas.RiskSummary:
    return schemas.RiskSummary.model_validate(_common(risk, bands or _Bands()))


def full(risk: Risk) -> schemas.Risk:
    values = _common(risk, _Bands())
    values.update(
        description=risk.description,
        cause=risk.cause,
        consequence=risk.consequence,
        requirements=sorted(requirement.code for requirement in risk.requirements),
    )
    return schemas.Risk.model_validate(values)


def find(risk_id: int) -> Risk:
    risk = queries.risk_with_links(risk_id)
    if risk is None:
        raise Problem(404, _("There is no risk with id %(id)s.", id=risk_id))
    return risk


def list_risks():
    filters = parse_risk_filters(request.args)  # the register's own parser: the same 400s
    page, per_page = params.page_args()
    register = queries.register_page(
        filters, page, per_page, after=request.args.get("after"), before=request.args.get("before")
    )
    args = filters.query_args()
    if per_page != current_app.config["PAGE_SIZE"]:
        args["per_page"] = per_page
    links, bands = schemas.Links(), _Bands()
    if register.next_cursor:
        links.next = url_for("api.list_risks", page=page + 1, after=register.next_cursor, **args)
    elif not register.next_cursor and register.prev_cursor is None and page * per_page < register.total:
        links.next = url_for("api.list_risks", page=page + 1, **args)  # a sort paged by number
    if register.prev_cursor:
        links.prev = url_for("api.list_risks", page=page - 1, before=register.prev_cursor, **args)
    elif page > 1:
        links.prev = url_for("api.list_risks", page=page - 1, **args)
    return respond(
        schemas.RiskPage(
            items=[summary(risk, bands) for risk in register.risks],
            total=register.total,
            band_counts=register.band_counts,
            links=links,
        )
    )


def get_risk(risk_id: int):
    return respond(full(find(risk_id)))


def _check_references(data: dict[str, Any]) -> None:
    """What the form's choices ensure on the pages: a known category, an existing site, an active owner."""
    if data.get("category") is not None and data["category"] not in reference.categories():
        raise rule_broken(
            "category", _("%(category)s is not a category of the register.", category=repr(data["category"]))
        )
    if data.get("site_id") is not None and db.session.get(Site, data["site_id"]) is None:
        raise rule_broken("site_id", _("There is no site with id %(id)s.", id=data["site_id"]))
    if data.get("owner_id") is not None:
        owner = db.session.scalar(sa.select(User).where(User.id == data["owner_id"], User.active.is_(True)))
        if owner is None:
            raise rule_broken("owner_id", _("There is no active user with id %(id)s.", id=data["owner_id"]))


def create_risk(body: schemas.RiskCreate):
    data = body.model_dump()
    _check_references(data)
    try:
        risk = services.create_risk(data, actor=_actor())
    except services.RiskRuleError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    risk_id = risk.id
    db.session.commit()
    return respond(full(find(risk_id)), 201, {"Location": url_for("api.get_risk", risk_id=risk_id)})


def update_risk(risk_id: int, body: schemas.RiskPatch):
    risk = find(risk_id)
    version = if_match_version()
    if version != risk.version:
        raise stale(version, full(risk))
    given = body.model_dump(exclude_unset=True)
    _check_references(given)
    data = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS}
    data.update(given)
    try:
        services.update_risk(risk, data, _actor(), expected_version=version)
        db.session.commit()
    except services.RiskConflict:
        db.session.rollback()
        raise stale(version, full(find(risk_id))) from None
    except StaleDataError:  # saved by someone else between the read and the write
        db.session.rollback()
        raise stale(version, full(find(risk_id))) from None
    except services.RiskRuleError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    return respond(full(find(risk_id)))


def _versioned(risk_id: int) -> Risk:
    risk = find(risk_id)
    version = if_match_version()
    if version != risk.version:
        raise stale(version, full(risk))
    return risk


def archive_risk(risk_id: int, body: schemas.ArchiveRequest):
    risk = _versioned(risk_id)
    try:
        services.archive_risk(risk, _actor(), body.reason.strip())
        db.session.commit()
    except services.RiskRuleError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    return respond(full(find(risk_id)))


def restore_risk(risk_id: int):
    risk = _versioned(risk_id)
    try:
        services.restore_risk(risk, _actor())
        db.session.commit()
    except services.RiskRuleError as error:
        db.session.rollback()
        raise rule_broken(error.field, str(error)) from error
    return respond(full(find(risk_id)))


def risk_history(risk_id: int):
    find(risk_id)
    return respond(history_of("risk", risk_id))


def history_of(entity: str, entity_id: int) -> schemas.History:
    return schemas.History(
        items=[
            schemas.Event(
                id=event.id,
                at=event.at,
                action=event.action,
                actor=_ref(event.actor),
                changes=event.changes,
                note=event.note,
                via=event.via,
            )
            for event in audit.history(entity, entity_id)
        ]
    )


def _actor() -> User:
    from flask_login import current_user

    return current_user._get_current_object()  # type: ignore[attr-defined]


def _query() -> tuple[Any, ...]:
    """The register's query parameters (riskreg/risks/filters.py parses them; these describe them)."""
    from riskreg import scoring
    from riskreg.api.spec import Param
    from riskreg.risks.filters import BASES, MAX_QUERY_LENGTH, SORT_COLUMNS
    from riskreg.risks.models import Direction, RiskStatus

    sorts = [*SORT_COLUMNS, *(f"-{key}" for key in SORT_COLUMNS)]
    whole = {"type": "integer", "minimum": 1}
    return (
        Param("site", {"type": "string"}, "A site id, or `corporate` for risks of no single site."),
        Param("direction", {"enum": [d.value for d in Direction]}),
        Param("category", {"type": "string"}, "A category of the register."),
        Param("band", {"enum": list(scoring.matrix().band_keys)}),
        Param("status", {"enum": [s.value for s in RiskStatus]}, "Archived risks only when asked for."),
        Param("owner", whole, "The owner's user id."),
        Param("department", whole, "Risks with a control of this department."),
        Param(
            "q", {"type": "string", "maxLength": MAX_QUERY_LENGTH}, "Text in the ref, title or description."
        ),
        Param("flagged", {"enum": ["yes", "no"]}, "With (or without) an open review flag."),
        Param("likelihood", {"type": "integer", "minimum": 1, "maximum": 5}),
        Param("impact", {"type": "integer", "minimum": 1, "maximum": 5}),
        Param("basis", {"enum": list(BASES)}, "The scores that band, likelihood and impact filter on."),
        Param("sort", {"enum": sorts}, "A key; with '-' in front, descending. Default -residual."),
        Param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
        Param("page", whole, "The page number (follow links.next rather than counting)."),
        Param("after", {"type": "string"}, "A cursor: the page after it (from links.next)."),
        Param("before", {"type": "string"}, "A cursor: the page before it (from links.prev)."),
    )
