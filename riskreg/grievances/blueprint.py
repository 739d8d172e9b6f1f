"""URL map of the grievance mechanism (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.grievances import views

bp = Blueprint("grievances", __name__, url_prefix="/grievances")

bp.add_url_rule("", "list", views.list_grievances, methods=["GET"])
bp.add_url_rule("/settings", "settings", views.settings, methods=["GET", "POST"])
bp.add_url_rule("/new", "create", views.create, methods=["GET", "POST"])
bp.add_url_rule("/<int:grievance_id>", "detail", views.detail, methods=["GET"])
bp.add_url_rule("/<int:grievance_id>/edit", "edit", views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:grievance_id>/step", "step", views.step, methods=["POST"])
bp.add_url_rule("/<int:grievance_id>/links", "link", views.link, methods=["POST"])
bp.add_url_rule("/<int:grievance_id>/complainant", "complainant", views.complainant, methods=["POST"])
