"""The search blueprint: /search (views in search/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.search import views

bp = Blueprint("search", __name__, url_prefix="/search")

bp.add_url_rule("", view_func=views.index, methods=["GET"])
