"""The acceptances blueprints: /acceptances (register, decisions) and a risk's request form under
/risks/<id>/acceptance (views in acceptances/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.acceptances import views

bp = Blueprint("acceptances", __name__, url_prefix="/acceptances")
risk_bp = Blueprint("risk_acceptances", __name__, url_prefix="/risks")

bp.add_url_rule("", view_func=views.list, methods=["GET"])
bp.add_url_rule("/<int:acceptance_id>/decide", view_func=views.decide, methods=["POST"])
risk_bp.add_url_rule("/<int:risk_id>/acceptance", view_func=views.request_form, methods=["GET", "POST"])
