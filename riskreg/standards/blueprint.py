"""The standards blueprint: /standards coverage, requirements, settings, risk templates and the links
of controls to requirements (views in standards/views.py), and two template globals."""

from __future__ import annotations

from flask import Blueprint

from riskreg.standards import links, views
from riskreg.standards import templates as risk_templates

bp = Blueprint("standards", __name__, url_prefix="/standards")

bp.add_url_rule("", view_func=views.index, methods=["GET"])
bp.add_url_rule("/requirements/<int:requirement_id>", view_func=views.requirement, methods=["GET"])
bp.add_url_rule("/settings", view_func=views.edit_settings, methods=["GET", "POST"])
bp.add_url_rule("/templates", view_func=views.templates, methods=["GET"])
bp.add_url_rule(
    "/controls/<int:control_id>/requirements", view_func=views.control_requirements, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/risks/<int:risk_id>/suggested-controls", view_func=views.create_suggested_control, methods=["POST"]
)

# Used on the risk and control pages, outside this blueprint's own templates.
bp.add_app_template_global(risk_templates.suggestions_for, "suggested_controls")
bp.add_app_template_global(links.control_requirement_codes, "control_requirement_codes")
