"""The bowtie blueprint under /risks/<id>: the page, the SVG, and the edits (views in bowtie/views.py)."""

from __future__ import annotations

from flask import Blueprint

from riskreg.bowtie import views

bp = Blueprint("bowtie", __name__, url_prefix="/risks")

bp.add_url_rule("/<int:risk_id>/bowtie", view_func=views.page, methods=["GET"])
bp.add_url_rule("/<int:risk_id>/bowtie.svg", view_func=views.svg, methods=["GET"])
for kind in ("cause", "consequence"):
    bp.add_url_rule(
        f"/<int:risk_id>/{kind}s", f"add_{kind}", views.add_item, methods=["POST"], defaults={"kind": kind}
    )
    bp.add_url_rule(
        f"/<int:risk_id>/{kind}s/<int:item_id>/edit",
        f"edit_{kind}",
        views.edit_item,
        methods=["POST"],
        defaults={"kind": kind},
    )
    bp.add_url_rule(
        f"/<int:risk_id>/{kind}s/<int:item_id>/delete",
        f"remove_{kind}",
        views.remove_item,
        methods=["POST"],
        defaults={"kind": kind},
    )
bp.add_url_rule("/<int:risk_id>/controls/<int:control_id>/bowtie", view_func=views.set_link, methods=["POST"])
