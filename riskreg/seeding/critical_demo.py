"""Demo bowties and critical controls for `flask seed demo`, through the real services: each demo
risk gets its template's causes and consequences and its controls' roles; the controls listed in
demo.toml's `critical_controls` become critical with their standard and 12 months of monthly
verifications, one failed with its immediate action. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle
from typing import Any

import sqlalchemy as sa

from riskreg.auth.models import Role as UserRole
from riskreg.auth.models import User
from riskreg.bowtie import services as bowtie
from riskreg.controls import services as control_services
from riskreg.controls.models import Control, RiskControl, Role
from riskreg.critical import services as critical
from riskreg.critical.models import Frequency, VerificationTask
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import today, utcnow
from riskreg.risks.models import Risk
from riskreg.seeding.demo_controls import _risk
from riskreg.seeding.reference import risk_templates


def load_critical_demo(data: dict[str, Any], users: dict[str, User], report: Any) -> None:
    manager = users.get("risk@example.com")
    for item in data.get("critical_controls", []):
        control = _control(item, manager, report)
        if not control.critical:
            _make_critical(control, item, manager, report)
    _bowties(manager, report)


def _control(item: dict[str, Any], manager: User | None, report: Any) -> Control:
    department_id = db.session.scalar(sa.select(Department.id).where(Department.name == item["department"]))
    risks = [_risk(link) for link in item["risks"]]
    control = db.session.scalar(
        sa.select(Control).where(Control.title == item["title"], Control.department_id == department_id)
    )
    if control is None:
        control = control_services.create_control(
            {
                "title": item["title"],
                "description": item.get("description", ""),
                "department_id": department_id,
                "owner_id": None,
                "due_date": today() - timedelta(days=400),
            },
            manager,
        )
        head = db.session.get(User, control.owner_id)
        control_services.start_control(control, head, control.version)
        control_services.close_control(
            control, "In place since the start of the demo year.", [], head, control.version
        )
        report.add("controls")
    for risk in risks:
        if not control_services.is_linked(control, risk):
            control_services.link_control(control, risk, manager)
            report.add("control links")
    return control


def _head(department: str) -> User | None:
    return db.session.scalar(
        sa.select(User)
        .join(Department, Department.id == User.department_id)
        .where(Department.name == department, User.role == UserRole.DEPARTMENT_HEAD, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def _make_critical(control: Control, item: dict[str, Any], manager: User | None, report: Any) -> None:
    checks = [
        critical.CheckInput(c["question"], c["expected"], c.get("failure_means", "")) for c in item["checks"]
    ]
    critical.mark_critical(control, item["reason"], item["objective"], checks, manager)
    verifier_id = db.session.scalar(sa.select(Department.id).where(Department.name == item["verifier"]))
    start = critical.add_months(today().replace(day=1), -12)
    critical.set_schedule(control, Frequency.MONTHLY, verifier_id, [], start, manager)
    critical.plan(today())
    verifier = _head(item["verifier"]) or manager
    site_id = _risk(item["risks"][0]).site_id
    tasks = list(
        db.session.scalars(
            sa.select(VerificationTask)
            .where(VerificationTask.control_id == control.id, VerificationTask.due_on < today())
            .order_by(VerificationTask.due_on)
        )
    )
    check_ids = [c.id for c in critical.active_checks(critical.standard_of(control))]
    failed_at = len(tasks) - 1 - item["failed_months_ago"] if "failed_months_ago" in item else None
    for index, task in enumerate(tasks):
        done_on = task.due_on - timedelta(days=3)
        failed = index == failed_at
        answers = [
            critical.AnswerInput(ident, "fail" if failed and n == 0 else "pass")
            for n, ident in enumerate(check_ids)
        ]
        critical.record_verification(
            control,
            answers,
            verifier,
            performed_on=done_on,
            findings=item["findings"] if failed else "All checks met.",
            immediate_action=item["immediate_action"] if failed else "",
            effectiveness=item["effectiveness"] if failed else None,
            site_id=site_id,
            at=utcnow().replace(year=done_on.year, month=done_on.month, day=done_on.day),
        )
        report.add("verifications")
    report.add("critical controls")


def _bowties(manager: User | None, report: Any) -> None:
    """Each demo risk from a template: its causes and consequences, and its controls' roles."""
    templates = risk_templates()
    risks = list(db.session.scalars(sa.select(Risk).where(Risk.template_code.is_not(None)).order_by(Risk.id)))
    by_code = {t["code"]: t for t in templates.values()}
    for risk in risks:
        template = by_code.get(risk.template_code)
        if template is None:
            continue
        for kind in ("cause", "consequence"):
            wanted = template.get(f"{kind}s", [])
            have = bowtie.items(risk.id, kind)
            if len(have) > 1 or not wanted or (have and have[0].text == wanted[0] and len(wanted) == 1):
                continue
            if have:
                bowtie.edit_item(risk, kind, have[0].id, wanted[0], manager)
            else:
                bowtie.add_item(risk, kind, wanted[0], manager)
            for text in wanted[1:]:
                bowtie.add_item(risk, kind, text, manager)
            report.add(f"{kind}s")
        roles = {c["title"]: Role(c["role"]) for c in template.get("controls", []) if c.get("role")}
        lines = {
            Role.PREVENTIVE: cycle([i.id for i in bowtie.items(risk.id, "cause")] or [None]),
            Role.MITIGATING: cycle([i.id for i in bowtie.items(risk.id, "consequence")] or [None]),
        }
        links = db.session.execute(
            sa.select(RiskControl, Control)
            .join(Control, Control.id == RiskControl.control_id)
            .where(RiskControl.risk_id == risk.id, RiskControl.role.is_(None))
            .order_by(Control.id)
        ).all()
        for link, control in links:
            role = roles.get(control.title) or (Role.PREVENTIVE if control.critical else None)
            if role is None:
                continue
            bowtie.set_link(risk, control, role, next(lines[role]), link.effectiveness, manager)
            report.add("bowtie lines")
