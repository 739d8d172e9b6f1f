"""The reports blueprint: /reports/asm-disclosure (views in reports/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.reports import views

bp = Blueprint("reports", __name__, url_prefix="/reports")

bp.add_url_rule("/asm-disclosure", view_func=views.asm_disclosure, methods=["GET"])
