"""The observability blueprint: /metrics (views in observability/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.observability import views

bp = Blueprint("observability", __name__)

bp.add_url_rule("/metrics", view_func=views.metrics, methods=["GET"])
