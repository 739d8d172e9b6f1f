"""URL map of "My work" and each person's own settings (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.me import token_views, views

bp = Blueprint("me", __name__, url_prefix="/me")

bp.add_url_rule("", view_func=views.index, methods=["GET"])
bp.add_url_rule("/settings", view_func=views.settings, methods=["GET"])
bp.add_url_rule("/settings/password", view_func=views.change_password, methods=["POST"])
bp.add_url_rule("/settings/notifications", view_func=views.save_notifications, methods=["POST"])
bp.add_url_rule("/settings/language", view_func=views.save_language, methods=["POST"])
bp.add_url_rule("/settings/two-factor", view_func=views.two_factor, methods=["GET"])
bp.add_url_rule("/settings/two-factor", view_func=views.enable_two_factor, methods=["POST"])
bp.add_url_rule("/settings/two-factor/recovery-codes", view_func=views.new_recovery_codes, methods=["POST"])
bp.add_url_rule("/settings/two-factor/disable", view_func=views.disable_two_factor, methods=["POST"])
bp.add_url_rule("/tokens", view_func=token_views.tokens, methods=["GET"])
bp.add_url_rule("/tokens", endpoint="create_token", view_func=token_views.create, methods=["POST"])
bp.add_url_rule("/tokens/<int:token_id>/revoke", view_func=token_views.revoke, methods=["POST"])
