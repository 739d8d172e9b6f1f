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
bp.add_url_rule(
    "/stakeholders/<int:stakeholder_id>/edit", "edit", views.edit_stakeholder, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/stakeholders/<int:stakeholder_id>/retire", "retire", views.retire_stakeholder, methods=["POST"]
)
bp.add_url_rule(
    "/stakeholders/<int:stakeholder_id>/restore", "restore", views.restore_stakeholder, methods=["POST"]
)
bp.add_url_rule("/plans/<int:plan_id>/edit", "edit_plan", views.edit_plan, methods=["GET", "POST"])
bp.add_url_rule("/plans/<int:plan_id>/retire", "retire_plan", views.retire_plan, methods=["POST"])
bp.add_url_rule("/plans/<int:plan_id>/restore", "restore_plan", views.restore_plan, methods=["POST"])
bp.add_url_rule("/plans/<int:plan_id>/delete", "delete_plan", views.delete_plan, methods=["POST"])
