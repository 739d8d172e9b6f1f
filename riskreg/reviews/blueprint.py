"""URL map of the reviews feature (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.reviews import views

bp = Blueprint("reviews", __name__)

bp.add_url_rule("/risks/<int:risk_id>/review", "record", views.record, methods=["POST"])
