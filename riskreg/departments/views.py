"""/departments: list, create and rename departments (admins)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from riskreg import audit
from riskreg.auth.models import Role, User
from riskreg.auth.permissions import Permission, permission_required
from riskreg.controls.models import OPEN_CONTROL_STATUSES, Control
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.forms import Form
from riskreg.i18n import gettext as _
from riskreg.text import single_line

FIELDS = ("name", "description", "active")


class DepartmentForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2_000)])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, department_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id = department_id

    def validate_name(self, field) -> None:
        name = single_line(field.data).strip()  # as it will be stored (riskreg.text)
        clash = db.session.scalar(
            sa.select(Department.id).where(sa.func.lower(Department.name) == name.lower())
        )
        if clash is not None and clash != self.department_id:
            raise ValidationError(_("A department called %(name)s already exists.", name=repr(name)))


@permission_required(Permission.VIEW)
def list():
    """Departments with their active heads; one without a head is flagged with the open controls it
    holds, since nobody is reminded of them and none defaults to an owner."""
    departments = db.session.scalars(sa.select(Department).order_by(Department.name)).all()
    heads = db.session.execute(
        sa.select(User.department_id, User.name)
        .where(User.department_id.is_not(None), User.role == Role.DEPARTMENT_HEAD, User.active.is_(True))
        .order_by(User.name)
    ).all()
    heads_by_department: dict[int, list[str]] = {}
    for department_id, name in heads:
        heads_by_department.setdefault(department_id, []).append(name)
    open_controls = dict(
        db.session.execute(
            sa.select(Control.department_id, sa.func.count(Control.id))
            .where(Control.status.in_(OPEN_CONTROL_STATUSES))
            .group_by(Control.department_id)
        ).all()
    )
    return render_template(
        "departments/list.html",
        departments=departments,
        heads=heads_by_department,
        open_controls=open_controls,
    )


@permission_required(Permission.MANAGE_REFERENCE)
def create():
    form = DepartmentForm()
    if form.validate_on_submit():
        department = Department(
            name=form.name.data.strip(), description=form.description.data or "", active=form.active.data
        )
        db.session.add(department)
        db.session.flush()
        audit.record(
            "department",
            department.id,
            "create",
            current_user,
            audit.diff({}, audit.snapshot(department, FIELDS)),
        )
        db.session.commit()
        flash(_("Department %(name)s created.", name=department.name), "success")
        return redirect(url_for("departments.list"))
    return render_template("departments/form.html", form=form, department=None)


@permission_required(Permission.MANAGE_REFERENCE)
def edit(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    form = DepartmentForm(obj=department, department_id=department.id)
    if form.validate_on_submit():
        before = audit.snapshot(department, FIELDS)
        department.name = form.name.data.strip()
        department.description = form.description.data or ""
        department.active = form.active.data
        changes = audit.diff(before, audit.snapshot(department, FIELDS))
        if changes:
            audit.record("department", department.id, "update", current_user, changes)
        db.session.commit()
        flash(_("Department %(name)s saved.", name=department.name), "success")
        return redirect(url_for("departments.list"))
    return render_template("departments/form.html", form=form, department=department)
