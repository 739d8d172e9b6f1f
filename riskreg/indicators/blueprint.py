"""URL map of the indicators feature (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.indicators import views, words

bp = Blueprint("indicators", __name__)

bp.add_url_rule("/indicators", "list", views.list_indicators, methods=["GET"])
bp.add_url_rule("/indicators/<int:indicator_id>", "detail", views.detail, methods=["GET"])
bp.add_url_rule("/indicators/<int:indicator_id>/edit", "edit", views.edit, methods=["GET", "POST"])
bp.add_url_rule("/indicators/<int:indicator_id>/links", "link", views.link, methods=["POST"])
bp.add_url_rule(
    "/indicators/<int:indicator_id>/links/<int:risk_id>/delete", "unlink", views.unlink, methods=["POST"]
)
# A trigger's stored reason in the reader's language, on every page that shows one (the risk page's
# flags, the dashboard's panels, the disclosure report).
bp.add_app_template_filter(words.reason_text, "trigger_reason")
bp.add_app_template_global(words.status_words, "kri_status")  # "Red", "No data" on the badges
