"""The critical-controls blueprint under /controls (views in critical/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.critical import views

bp = Blueprint("critical", __name__, url_prefix="/controls")

bp.add_url_rule("/critical", view_func=views.index, methods=["GET"])
bp.add_url_rule("/<int:control_id>/critical", view_func=views.control, methods=["GET"])
bp.add_url_rule("/<int:control_id>/critical", "mark", views.mark, methods=["POST"])
bp.add_url_rule("/<int:control_id>/critical/remove", view_func=views.unmark, methods=["POST"])
bp.add_url_rule("/<int:control_id>/schedule", view_func=views.schedule, methods=["POST"])
bp.add_url_rule("/<int:control_id>/verifications/new", view_func=views.verify, methods=["GET", "POST"])
