"""The departments blueprint: /departments (views in departments/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.departments import views

bp = Blueprint("departments", __name__, url_prefix="/departments")

bp.add_url_rule("", view_func=views.list, methods=["GET"])
bp.add_url_rule("/new", view_func=views.create, methods=["GET", "POST"])
bp.add_url_rule("/<int:department_id>/edit", view_func=views.edit, methods=["GET", "POST"])
