"""The comments blueprint: writing on a risk or control, editing, opening a mention."""

from __future__ import annotations

from flask import Blueprint

from riskreg.comments import views

bp = Blueprint("comments", __name__)

bp.add_url_rule("/risks/<int:risk_id>/comments", view_func=views.add_to_risk, methods=["POST"])
bp.add_url_rule("/controls/<int:control_id>/comments", view_func=views.add_to_control, methods=["POST"])
bp.add_url_rule("/comments/<int:comment_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/comments/mentions/<int:mention_id>", view_func=views.open_mention, methods=["GET"])
