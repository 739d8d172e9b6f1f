"""The dashboard blueprint: /dashboard and its Plotly script (views in dashboard/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.dashboard import views

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

bp.add_url_rule("", view_func=views.index, methods=["GET"])
bp.add_url_rule("/plotly.min.js", view_func=views.plotly_js, methods=["GET"])
