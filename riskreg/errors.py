"""Error pages: 400/403/404/405/413/429/500, a CSRF failure and database faults, as HTML or JSON.

An error page never needs the database: when the database is what failed, it is drawn without the
signed-in user (whose loading would query the database again) instead of failing a second time.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from riskreg.dbfaults import Fault, classify
from riskreg.extensions import db, login_manager
from riskreg.i18n import gettext as _

logger = logging.getLogger(__name__)

TITLES = {  # translated where the page is drawn (lazy strings)
    400: _l("That request could not be understood"),
    403: _l("You do not have permission to do that"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Someone else changed this"),
    413: _l("That upload is too large"),
    429: _l("Too many attempts"),
    503: _l("riskreg cannot save or show this right now"),
}

# Werkzeug's own descriptions of an abort() without one, said in the reader's language.
DESCRIPTIONS = {
    400: _l("The browser (or proxy) sent a request that this server could not understand."),
    403: _l(
        "You don't have the permission to access the requested resource. It is either read-protected "
        "or not readable by the server."
    ),
    404: _l(
        "The requested URL was not found on the server. If you entered the URL manually please check "
        "your spelling and try again."
    ),
    405: _l("The method is not allowed for the requested URL."),
    413: _l("The data value transmitted exceeds the capacity limit."),
    429: _l("This user has exceeded an allotted request count. Try again later."),
}

# Flask-WTF's reasons for refusing a form, said in the reader's language.
CSRF_REASONS = {
    "The CSRF token is missing.": _l("The CSRF token is missing."),
    "The CSRF session token is missing.": _l("The CSRF session token is missing."),
    "The CSRF token has expired.": _l("The CSRF token has expired."),
    "The CSRF token is invalid.": _l("The CSRF token is invalid."),
    "The CSRF tokens do not match.": _l("The CSRF tokens do not match."),
    "The referrer header is missing.": _l("The referrer header is missing."),
    "The referrer does not match the host.": _l("The referrer does not match the host."),
}

# code, Retry-After seconds (None: trying again will not help until someone acts), message (lazy)
FAULTS: dict[Fault, tuple[int, int | None, Any]] = {
    Fault.BUSY: (
        503,
        5,
        _l(
            "riskreg is busy saving another change. Nothing of yours was saved: wait a few seconds and "
            "try again."
        ),
    ),
    Fault.CLASH: (
        409,
        None,
        _l(
            "Someone else changed the same records at the same moment, so nothing of yours was saved. "
            "Reload the page and try again."
        ),
    ),
    Fault.READ_ONLY: (
        503,
        None,
        _l(
            "The database is read-only, so nothing can be saved (nothing of yours was). "
            "Tell an administrator."
        ),
    ),
    Fault.FULL: (
        503,
        None,
        _l(
            "The database's disk is full, so nothing can be saved (nothing of yours was). "
            "Tell an administrator."
        ),
    ),
    Fault.UNAVAILABLE: (
        503,
        30,
        _l(
            "The database cannot be reached. Nothing of yours was saved. Try again in a minute; "
            "if it lasts, tell an administrator."
        ),
    ),
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def rollback_quietly() -> None:
    """Roll back the request's transaction; on a dead connection that can fail too, and that is fine."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the page must still be drawn)
        logger.warning("rollback after a database fault failed", exc_info=True)


def render_error(code: int, message: Any, offline: bool = False, headers: dict[str, str] | None = None):
    title = str(TITLES.get(code, _l("Something went wrong")))
    message = str(message)  # a lazy string is said now, in the reader's language
    if wants_json():
        return {"error": title, "message": message}, code, headers or {}
    page = None
    if not offline:
        try:
            page = render_template("errors/error.html", code=code, title=title, message=message)
        except sa.exc.SQLAlchemyError:  # loading the signed-in user failed: draw the page without them
            rollback_quietly()
    if page is None:
        g._login_user = login_manager.anonymous_user()  # Flask-Login's context processor would load them
        page = render_template("errors/error.html", code=code, title=title, message=message, offline=True)
    return page, code, headers or {}


def fault_response(fault: Fault):
    code, retry_after, message = FAULTS[fault]
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return render_error(code, message, offline=True, headers=headers)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400,
            _(
                "The form expired or was not sent from riskreg (%(reason)s). "
                "Go back, reload the page and try again.",
                reason=CSRF_REASONS.get(error.description, error.description),
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400 or isinstance(error, InternalServerError):
            return error
        if request.path.startswith("/api/"):  # the API answers in problem+json, even for unknown URLs
            from riskreg.api.problems import from_http

            return from_http(error)
        description = error.description or ""
        if description == type(error).description and error.code in DESCRIPTIONS:
            description = DESCRIPTIONS[error.code]  # werkzeug's default, in the reader's language
        return render_error(error.code, description)

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database(error: sa.exc.SQLAlchemyError):
        fault = classify(error)
        if fault is None:  # not the database's state but a bug: Flask's own 500 path (logged, debugger)
            raise error
        rollback_quietly()
        logger.warning("database %s on %s %s: %s", fault.value, request.method, request.path, error)
        return fault_response(fault)

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError):
        rollback_quietly()  # Flask has already logged the exception with its traceback
        return render_error(500, _("The error has been logged. Nothing you submitted was half-saved."))
