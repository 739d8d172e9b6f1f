"""URLs of field data from KoboToolbox and ODK (under /sites, beside the site pages)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.fieldforms import views

bp = Blueprint("fieldforms", __name__, url_prefix="/sites")

bp.add_url_rule("/observation-form.xlsx", "form", views.observation_form, methods=["GET"])
bp.add_url_rule("/import-observations", "upload", views.upload, methods=["GET", "POST"])
bp.add_url_rule("/import-observations/confirm", "confirm", views.confirm, methods=["POST"])
bp.add_url_rule("/import-observations/cancel", "cancel", views.cancel, methods=["POST"])
