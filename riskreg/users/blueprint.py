"""The users blueprint: the admin's /users pages (views in users/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.users import views

bp = Blueprint("users", __name__, url_prefix="/users")

bp.add_url_rule("", view_func=views.list, methods=["GET"])
bp.add_url_rule("/new", view_func=views.create, methods=["GET", "POST"])
bp.add_url_rule("/<int:user_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:user_id>/unlock", view_func=views.unlock, methods=["POST"])
bp.add_url_rule("/<int:user_id>/reset-2fa", view_func=views.reset_two_factor, methods=["POST"])
bp.add_url_rule("/<int:user_id>/deactivate", view_func=views.deactivate, methods=["POST"])
bp.add_url_rule("/<int:user_id>/activate", view_func=views.activate, methods=["POST"])
