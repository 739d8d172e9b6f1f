"""URL map of the REST API, /api/v1: every operation in OPS (riskreg/api/spec.py turns the same
table into the OpenAPI document). Bearer tokens only: CSRF-exempt, never the session cookie."""

from __future__ import annotations

from flask import Blueprint

from riskreg.api import auth, problems, views
from riskreg.api.operations import OPS
from riskreg.api.problems import Problem, from_http, from_problem
from riskreg.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(auth.authenticate)
limiter.limit(auth.rate_limit, key_func=auth.token_key)(bp)
bp.register_error_handler(Problem, from_problem)


@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(413)
@bp.errorhandler(429)
def _http(error):
    return from_http(error)


@bp.errorhandler(500)
def _internal(error):
    from riskreg.errors import rollback_quietly

    rollback_quietly()  # Flask has logged the exception with its traceback
    return problems.response(500, "The error has been logged. Nothing you sent was half-saved.")


for op in OPS:
    bp.add_url_rule(op.rule, endpoint=op.endpoint, view_func=op.bound(), methods=[op.method])

# The description of the API (no token needed: it holds no register data).
bp.add_url_rule("/openapi.json", view_func=views.openapi, methods=["GET"])
bp.add_url_rule("/docs", view_func=views.docs, methods=["GET"])
bp.add_url_rule("/docs/assets/<name>", view_func=views.docs_asset, methods=["GET"])
