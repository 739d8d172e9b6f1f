"""Risk templates (seeds/risk_templates.toml): pre-filling the risk form and their suggested controls.

A suggested control is created through the controls service (`create_control`), the one way a
control comes to exist: same ref, default owner, audit trail and risk link as from the risk page.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg import reads, reference
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.risks.models import Direction, ImpactArea, Treatment
from riskreg.standards import links

logger = logging.getLogger(__name__)


class SuggestionError(ValueError):
    """`field` names the form field it is about (due_date, owner_id), when it is one."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Suggestion:
    number: int  # 1-based position in the template's list: what the form posts
    title: str
    department: str
    formalisation_support: bool
    created_as: str | None  # ref of the control already made from it for this risk
    head: str | None = None  # the department's active head, who owns it unless someone is chosen
    owners: tuple[tuple[int, str], ...] = ()  # who may own it when the department has no head


def all_templates() -> list[dict[str, Any]]:
    return list(reference.seed_file("risk_templates.toml")["templates"])


def get_template(code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    return next((t for t in all_templates() if t["code"] == code), None)


def requested_template(args: MultiDict, posted_code: str | None = None) -> dict[str, Any] | None:
    """The template named by ?template= (400 when unknown) or by the form's hidden field."""
    code = (args.get("template") or "").strip()
    if code:
        template = get_template(code)
        if template is None:
            raise BadRequest(
                _("There is no risk template %(code)s. Choose one at /risks/new/template.", code=repr(code))
            )
        return template
    return get_template(posted_code)


def pick(query: str = "", direction: str = "", category: str = "") -> list[dict[str, Any]]:
    """The templates for the picker: every word of `query` in the code, title, description or
    category (any case), of the direction and category given (empty: all)."""
    words = query.lower().split()
    found = []
    for template in all_templates():
        if direction and template["direction"] != direction:
            continue
        if category and template["category"] != category:
            continue
        haystack = " ".join(
            (template["code"], template["title"], template["description"], template["category"])
        ).lower()
        if all(word in haystack for word in words):
            found.append(template)
    return found


def template_categories() -> list[str]:
    return sorted({template["category"] for template in all_templates()})


# What a template may state besides its text; a judgement it does not state is left to the person.
STATED = {
    "direction": Direction,
    "impact_area": ImpactArea,
    "treatment": Treatment,
    "inherent_likelihood": int,
    "inherent_impact": int,
    "residual_likelihood": int,
    "residual_impact": int,
}


def prefill(form: Any, template: dict[str, Any], args: MultiDict) -> None:
    """Fill a new risk form with what the template says; ?site=<id> picks the site too.

    The residual score, the consequence area and the treatment depend on the site and its controls:
    they stay empty (and required) unless the template states them.
    """
    form.title.data = template["title"]
    form.description.data = template["description"]
    form.cause.data = template["cause"]
    form.consequence.data = template["consequence"]
    form.category.data = template["category"]
    for name, kind in STATED.items():
        if template.get(name) is not None:
            getattr(form, name).data = kind(template[name])
    form.template_code.data = template["code"]
    known = {choice.value for choice in form.requirements.choices or []}
    form.requirements.data = [code for code in template.get("requirements", []) if code in known]
    site = (args.get("site") or "").strip()
    if site:
        if not site.isdigit() or site not in {c.value for c in form.site_id.choices if c.value}:
            raise BadRequest(_("There is no site with id %(site)s.", site=repr(site)))
        form.site_id.data = int(site)
    from riskreg.indicators.queries import gap_evidence  # "Create from template" on a gap

    evidence = gap_evidence(args, form.site_id.data if site else None)
    if evidence:
        form.description.data = f"{template['description']}\n\nEvidence from monitoring: {evidence}"


def suggestions_for(risk: Any) -> list[Suggestion]:
    """The template's suggested controls for a risk (its controls must be loaded)."""
    template = get_template(getattr(risk, "template_code", None))
    if template is None:
        return []
    made = {control.title.strip().lower(): control.ref for control in risk.controls}
    items = template.get("controls", [])
    heads = department_heads([item["department"] for item in items])
    headless = {name for name, (_, head) in heads.items() if head is None}
    owners = eligible_owners({heads[name][0] for name in headless}) if headless else {}
    suggestions = []
    for number, item in enumerate(items, start=1):
        department_id, head = heads.get(item["department"].lower(), (None, None))
        suggestions.append(
            Suggestion(
                number=number,
                title=item["title"],
                department=item["department"],
                formalisation_support=bool(item.get("formalisation_support", False)),
                created_as=made.get(item["title"].strip().lower()),
                head=head,
                owners=tuple(owners.get(department_id, ())) if head is None else (),
            )
        )
    return suggestions


def department_heads(names: list[str]) -> dict[str, tuple[int, str | None]]:
    """Active departments by lower-case name -> (id, name of its active head or None), one query.

    The head is the one the controls service defaults to (`default_owner`: the first by id)."""
    rows = reads.rows(_department_heads(), {"names": sorted({name.lower() for name in names})})
    heads: dict[str, tuple[int, str | None]] = {}
    for name, department_id, head in rows:
        heads.setdefault(name, (department_id, head))
    return heads


@functools.cache
def _department_heads() -> sa.Select:
    """Built once (every risk page made from a template runs it)."""
    from riskreg.auth.models import Role, User

    is_head = sa.and_(
        User.department_id == Department.id, User.role == Role.DEPARTMENT_HEAD, User.active.is_(True)
    )
    return (
        sa.select(sa.func.lower(Department.name), Department.id, User.name)
        .outerjoin(User, is_head)
        .where(sa.func.lower(Department.name).in_(sa.bindparam("names", expanding=True)), Department.active)
        .order_by(Department.id, User.id)
    )


def eligible_owners(department_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """Who may own a control of each department: its active members and people in no department."""
    from riskreg.auth.models import User

    users = db.session.execute(
        sa.select(User.id, User.name, User.department_id)
        .where(
            User.active.is_(True),
            sa.or_(User.department_id.is_(None), User.department_id.in_(department_ids)),
        )
        .order_by(User.name, User.id)
    ).all()
    return {d: [(u.id, u.name) for u in users if u.department_id in (None, d)] for d in department_ids}


def suggestion(risk: Any, number: int) -> dict[str, Any]:
    template = get_template(risk.template_code)
    if template is None:
        raise SuggestionError(
            _l("%(ref)s was not created from a template: it has no suggested controls.", ref=risk.ref)
        )
    items = template.get("controls", [])
    if not 1 <= number <= len(items):
        raise SuggestionError(
            _l(
                "Template %(code)s has no suggested control number %(number)s.",
                code=template["code"],
                number=number,
            )
        )
    return items[number - 1]


def create_suggested_control(
    risk: Any,
    template_control: dict[str, Any],
    actor: Any,
    due_date: date | None,
    owner_id: int | None = None,
) -> Any:
    """A planned control from a template's suggestion, mitigating `risk`; flushes only.

    The department is named in the template; the person gives the due date, and the owner unless
    the department has an active head (the default). Without them the controls service refuses,
    with the field named: nothing is created that belongs to nobody or is never due. The control is
    audited and linked to the risk by the controls service, so the risk's History shows the link as
    it does for a control added on the risk page. The control then takes the risk's standard
    requirements (an audited update of the control), so what the risk is relevant to shows as
    planned on /standards as soon as the control exists.
    """
    from riskreg.controls import services
    from riskreg.controls.models import Control, risk_controls

    title = template_control["title"].strip()
    name = template_control["department"]
    department = db.session.scalar(
        sa.select(Department).where(sa.func.lower(Department.name) == name.lower())
    )
    if department is None or not department.active:
        raise SuggestionError(
            _l(
                "The department %(name)s does not exist or is inactive, so this control cannot be "
                "assigned to it. Create the control by hand, or add the department.",
                name=repr(name),
            )
        )
    existing = db.session.scalar(
        sa.select(Control.ref)
        .join(risk_controls, risk_controls.c.control_id == Control.id)
        .where(risk_controls.c.risk_id == risk.id, sa.func.lower(Control.title) == title.lower())
    )
    if existing:
        raise SuggestionError(
            _l(
                "%(control)s “%(title)s” already mitigates %(risk)s.",
                control=existing,
                title=title,
                risk=risk.ref,
            )
        )
    data = {
        "title": title,
        "description": f"Suggested by risk template {risk.template_code} for {risk.ref}.",
        "department_id": department.id,
        "owner_id": owner_id,  # None: the department's head
        "due_date": due_date,
        "formalisation_support": bool(template_control.get("formalisation_support", False)),
    }
    try:
        control = services.create_control(data, actor, risks=[risk])
        links.set_control_requirements(control, links.linked_codes("risk", risk.id), actor)
    except services.ControlRuleError as error:
        raise SuggestionError(str(error), error.field) from error
    except links.LinkError as error:
        raise SuggestionError(str(error)) from error
    if template_control.get("role"):  # the template says whether it prevents or mitigates
        from riskreg.bowtie.services import set_link
        from riskreg.controls.models import Role

        set_link(risk, control, Role(template_control["role"]), None, None, actor)
    logger.info("control %s created from template %s for %s", control.ref, risk.template_code, risk.ref)
    return control
