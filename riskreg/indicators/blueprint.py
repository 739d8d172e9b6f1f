"""URL map of the indicators feature (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.indicators import views

bp = Blueprint("indicators", __name__)

bp.add_url_rule("/indicators", "list", views.list_indicators, methods=["GET"])
bp.add_url_rule("/indicators/<int:indicator_id>", "detail", views.detail, methods=["GET"])
bp.add_url_rule("/indicators/<int:indicator_id>/edit", "edit", views.edit, methods=["GET", "POST"])
bp.add_url_rule("/indicators/<int:indicator_id>/links", "link", views.link, methods=["POST"])
bp.add_url_rule(
    "/indicators/<int:indicator_id>/links/<int:risk_id>/delete", "unlink", views.unlink, methods=["POST"]
)
bp.add_url_rule("/risks/<int:risk_id>/review", "review", views.review_no_change, methods=["POST"])
