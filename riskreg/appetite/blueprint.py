"""The appetite blueprint: /appetite and /appetite/edit (views in appetite/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.appetite import views

bp = Blueprint("appetite", __name__, url_prefix="/appetite")

bp.add_url_rule("", view_func=views.index, methods=["GET"])
bp.add_url_rule("/edit", view_func=views.edit, methods=["GET", "POST"])
