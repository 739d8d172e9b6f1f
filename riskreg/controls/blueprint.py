"""The controls blueprints and their URL map: the tracker and a control's pages (controls/views.py),
the POST actions on a control (controls/actions.py), and a risk's controls under /risks/<id>
(controls/risk_views.py). The view modules never import this one, so nothing imports in a circle."""

from __future__ import annotations

from flask import Blueprint, current_app
from werkzeug.exceptions import RequestEntityTooLarge

from riskreg.controls import actions, evidence, risk_views, views
from riskreg.errors import render_error
from riskreg.i18n import gettext as _

bp = Blueprint("controls", __name__, url_prefix="/controls")
risk_bp = Blueprint("risk_controls", __name__, url_prefix="/risks")

bp.add_url_rule("", view_func=views.list, methods=["GET"])
bp.add_url_rule("/mine", view_func=views.mine, methods=["GET"])
bp.add_url_rule("/<int:control_id>", view_func=views.detail, methods=["GET"])
bp.add_url_rule("/<int:control_id>/edit", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/<int:control_id>/evidence/<int:evidence_id>", view_func=views.download, methods=["GET"])
bp.add_url_rule("/<int:control_id>/start", view_func=actions.start, methods=["POST"])
bp.add_url_rule("/<int:control_id>/note", view_func=actions.note, methods=["POST"])
bp.add_url_rule("/<int:control_id>/close", view_func=actions.close, methods=["POST"])
bp.add_url_rule("/<int:control_id>/evidence", view_func=actions.add_evidence, methods=["POST"])
bp.add_url_rule("/<int:control_id>/verify", view_func=actions.verify, methods=["POST"])
bp.add_url_rule("/<int:control_id>/reopen", view_func=actions.reopen, methods=["POST"])
bp.add_url_rule("/<int:control_id>/cancel", view_func=actions.cancel, methods=["POST"])

risk_bp.add_url_rule("/<int:risk_id>/controls/new", view_func=risk_views.create, methods=["GET", "POST"])
risk_bp.add_url_rule("/<int:risk_id>/controls/link", view_func=risk_views.link, methods=["POST"])
risk_bp.add_url_rule(
    "/<int:risk_id>/controls/<int:control_id>/unlink", view_func=risk_views.unlink, methods=["GET", "POST"]
)
risk_bp.add_url_rule(
    "/<int:risk_id>/confirm-residual", view_func=risk_views.confirm_residual, methods=["POST"]
)


@bp.context_processor
def _evidence_hints() -> dict[str, str]:
    limit = evidence.megabytes(current_app.config["EVIDENCE_MAX_BYTES"])
    return {
        "evidence_accept": ",".join(sorted(evidence.KINDS)),
        "evidence_help": _(
            "PDF, images, Word, Excel, PowerPoint, CSV or text; at most %(limit)s each.", limit=limit
        ),
    }


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    limit = evidence.megabytes(current_app.config["EVIDENCE_MAX_BYTES"])
    return render_error(
        413,
        _(
            "The upload is larger than riskreg accepts. Each evidence file may be at most %(limit)s; "
            "send large files one at a time. Nothing was saved.",
            limit=limit,
        ),
    )
