"""Risk templates (seeds/risk_templates.toml): pre-filling the risk form and their suggested controls.

A suggested control is created through the controls service (`create_control`), the one way a
control comes to exist: same ref, default owner, audit trail and risk link as from the risk page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg import reference
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks.models import Direction, ImpactArea
from riskreg.standards import links

logger = logging.getLogger(__name__)


class SuggestionError(ValueError):
    pass


@dataclass(frozen=True)
class Suggestion:
    number: int  # 1-based position in the template's list: what the one-click form posts
    title: str
    department: str
    formalisation_support: bool
    created_as: str | None  # ref of the control already made from it for this risk


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
            raise BadRequest(f"There is no risk template {code!r}. The list is at /standards/templates.")
        return template
    return get_template(posted_code)


def prefill(form: Any, template: dict[str, Any], args: MultiDict) -> None:
    """Fill a new risk form from a template; ?site=<id> picks the site too."""
    form.title.data = template["title"]
    form.description.data = template["description"]
    form.cause.data = template["cause"]
    form.consequence.data = template["consequence"]
    form.direction.data = Direction(template["direction"])
    form.category.data = template["category"]
    form.impact_area.data = ImpactArea.usual_for(template["category"])
    likelihood, impact = template["inherent_likelihood"], template["inherent_impact"]
    form.inherent_likelihood.data = form.residual_likelihood.data = likelihood
    form.inherent_impact.data = form.residual_impact.data = impact
    form.template_code.data = template["code"]
    known = {choice.value for choice in form.requirements.choices or []}
    form.requirements.data = [code for code in template.get("requirements", []) if code in known]
    site = (args.get("site") or "").strip()
    if site:
        if not site.isdigit() or site not in {c.value for c in form.site_id.choices if c.value}:
            raise BadRequest(f"There is no site with id {site!r}.")
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
    return [
        Suggestion(
            number=number,
            title=item["title"],
            department=item["department"],
            formalisation_support=bool(item.get("formalisation_support", False)),
            created_as=made.get(item["title"].strip().lower()),
        )
        for number, item in enumerate(template.get("controls", []), start=1)
    ]


def suggestion(risk: Any, number: int) -> dict[str, Any]:
    template = get_template(risk.template_code)
    if template is None:
        raise SuggestionError(f"{risk.ref} was not created from a template: it has no suggested controls.")
    items = template.get("controls", [])
    if not 1 <= number <= len(items):
        raise SuggestionError(f"Template {template['code']} has no suggested control number {number}.")
    return items[number - 1]


def create_suggested_control(risk: Any, template_control: dict[str, Any], actor: Any) -> Any:
    """A planned control from a template's suggestion, mitigating `risk`; flushes only.

    The department is named in the template, the owner defaults to its head, and the control is
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
            f"The department {name!r} does not exist or is inactive, so this control cannot be "
            "assigned to it. Create the control by hand, or add the department."
        )
    existing = db.session.scalar(
        sa.select(Control.ref)
        .join(risk_controls, risk_controls.c.control_id == Control.id)
        .where(risk_controls.c.risk_id == risk.id, sa.func.lower(Control.title) == title.lower())
    )
    if existing:
        raise SuggestionError(f"{existing} “{title}” already mitigates {risk.ref}.")
    data = {
        "title": title,
        "description": f"Suggested by risk template {risk.template_code} for {risk.ref}.",
        "department_id": department.id,
        "owner_id": None,  # the department's head
        "due_date": None,
        "formalisation_support": bool(template_control.get("formalisation_support", False)),
    }
    try:
        control = services.create_control(data, actor, risks=[risk])
        links.set_control_requirements(control, links.linked_codes("risk", risk.id), actor)
    except (services.ControlRuleError, links.LinkError) as error:
        raise SuggestionError(str(error)) from error
    logger.info("control %s created from template %s for %s", control.ref, risk.template_code, risk.ref)
    return control
