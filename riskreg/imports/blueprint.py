"""The imports blueprint: /import upload, preview, confirm and cancel (views in imports/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.imports import views

bp = Blueprint("imports", __name__, url_prefix="/import")

bp.add_url_rule("", view_func=views.upload, methods=["GET", "POST"])
bp.add_url_rule("/confirm", view_func=views.confirm, methods=["POST"])
bp.add_url_rule("/cancel", view_func=views.cancel, methods=["POST"])
