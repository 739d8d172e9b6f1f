"""URL map of bulk changes (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.bulk import views

bp = Blueprint("bulk", __name__)

bp.add_url_rule("/risks/bulk", "risks", views.risks, methods=["POST"])
bp.add_url_rule("/controls/bulk", "controls", views.controls, methods=["POST"])
