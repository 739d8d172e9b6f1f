"""The register blueprint: /risks list, create, detail, edit, archive, restore (views in risks/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.risks import views

bp = Blueprint("risks", __name__, url_prefix="/risks")

bp.add_url_rule("", view_func=views.list, methods=["GET"])
bp.add_url_rule("/<int:risk_id>", view_func=views.detail, methods=["GET"])
bp.add_url_rule("/new", view_func=views.create, methods=["GET", "POST"])
bp.add_url_rule("/new/template", view_func=views.pick_template, methods=["GET"])
bp.add_url_rule("/<int:risk_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:risk_id>/archive", view_func=views.archive, methods=["POST"])
bp.add_url_rule("/<int:risk_id>/restore", view_func=views.restore, methods=["POST"])
