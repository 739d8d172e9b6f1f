"""URL map of the admins' webhook pages (views in webhooks/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.webhooks import views

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

bp.add_url_rule("", view_func=views.index, methods=["GET"])
bp.add_url_rule("", endpoint="create", view_func=views.create, methods=["POST"])
bp.add_url_rule("/settings", view_func=views.save_settings, methods=["POST"])
bp.add_url_rule("/<int:endpoint_id>", view_func=views.detail, methods=["GET"])
bp.add_url_rule("/<int:endpoint_id>/test", view_func=views.send_test, methods=["POST"])
bp.add_url_rule("/<int:endpoint_id>/disable", view_func=views.disable, methods=["POST"])
