"""URL map of the stakeholder map and engagement plans (views do not import the blueprint)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.stakeholders import views

bp = Blueprint("stakeholders", __name__)

bp.add_url_rule(
    "/sites/<int:site_id>/stakeholders/new", "create", views.new_stakeholder, methods=["GET", "POST"]
)
bp.add_url_rule("/sites/<int:site_id>/plans/new", "new_plan", views.new_plan, methods=["GET", "POST"])
bp.add_url_rule("/engagement", "engagement", views.engagement, methods=["GET"])
