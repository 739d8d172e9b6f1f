"""The exports blueprint: /export.xlsx (views in exports/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.exports import views

bp = Blueprint("exports", __name__)

bp.add_url_rule("/export.xlsx", view_func=views.register, methods=["GET"])
bp.add_url_rule("/export.xlsx", endpoint="start_job", view_func=views.start_job, methods=["POST"])
