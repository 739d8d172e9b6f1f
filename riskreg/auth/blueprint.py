"""The sign-in blueprint: /login, its second-factor and OpenID Connect steps, /logout (auth/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.auth import views

bp = Blueprint("auth", __name__)

bp.add_url_rule("/login", view_func=views.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
bp.add_url_rule("/login/second-factor", view_func=views.second_factor, methods=["GET", "POST"])
bp.add_url_rule("/login/oidc", view_func=views.oidc_start, methods=["GET"])
bp.add_url_rule("/login/oidc/callback", view_func=views.oidc_callback, methods=["GET"])
bp.before_app_request(views.require_enrolment)
