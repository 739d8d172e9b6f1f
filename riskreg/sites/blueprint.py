"""The sites blueprint: /sites, their ASM observations, engagements and presence (views in sites/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.sites import views

bp = Blueprint("sites", __name__, url_prefix="/sites")

bp.add_url_rule("", view_func=views.list, methods=["GET"])
bp.add_url_rule("/<int:site_id>", view_func=views.detail, methods=["GET"])
bp.add_url_rule("/new", view_func=views.create, methods=["GET", "POST"])
bp.add_url_rule("/<int:site_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:site_id>/observations/new", view_func=views.new_observation, methods=["GET", "POST"])
bp.add_url_rule("/<int:site_id>/engagements/new", view_func=views.new_engagement, methods=["GET", "POST"])
bp.add_url_rule("/<int:site_id>/presence", view_func=views.presence, methods=["GET", "POST"])
