"""The saved views' URL map (views in savedviews/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.savedviews import views

bp = Blueprint("savedviews", __name__, url_prefix="/views")

bp.add_url_rule("", view_func=views.create, methods=["POST"])
bp.add_url_rule("/<int:view_id>", view_func=views.open, methods=["GET"])
bp.add_url_rule("/<int:view_id>/edit", view_func=views.edit, methods=["POST"])
bp.add_url_rule("/<int:view_id>/refilter", view_func=views.refilter, methods=["POST"])
bp.add_url_rule("/<int:view_id>/delete", view_func=views.delete, methods=["POST"])
bp.add_url_rule("/<int:view_id>/default", view_func=views.make_default, methods=["POST"])
bp.add_url_rule("/default/clear", view_func=views.clear_default, methods=["POST"])
