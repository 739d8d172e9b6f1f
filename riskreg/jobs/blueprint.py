"""The jobs blueprint: /jobs (views in jobs/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.jobs import texts, views

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

bp.add_url_rule("", view_func=views.list_jobs, methods=["GET"])
bp.add_url_rule("/run", view_func=views.run, methods=["POST"])
bp.add_url_rule("/<int:job_id>", view_func=views.detail, methods=["GET"])
bp.add_url_rule("/<int:job_id>/status", view_func=views.status, methods=["GET"])
bp.add_url_rule("/<int:job_id>/download", view_func=views.download, methods=["GET"])
bp.add_url_rule("/<int:job_id>/retry", view_func=views.retry, methods=["POST"])
bp.add_app_template_global(texts.shown, "job_message")
