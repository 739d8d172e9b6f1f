"""The health blueprint: /healthz (views in health/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.health import views

bp = Blueprint("health", __name__)

bp.add_url_rule("/healthz", view_func=views.healthz, methods=["GET"])
