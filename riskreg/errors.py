"""Error pages: 400/403/404/405/413/429/500 and a CSRF failure, as HTML or JSON."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from riskreg.extensions import db

logger = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be understood",
    403: "You do not have permission to do that",
    404: "Not found",
    405: "Method not allowed",
    409: "Someone else changed this",
    413: "That upload is too large",
    429: "Too many attempts",
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, message: str):
    title = TITLES.get(code, "Something went wrong")
    if wants_json():
        return {"error": title, "message": message}, code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400,
            f"The form expired or was not sent from riskreg ({error.description}). "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400 or isinstance(error, InternalServerError):
            return error
        return render_error(error.code, error.description or "")

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError):
        db.session.rollback()  # Flask has already logged the exception with its traceback
        return render_error(500, "The error has been logged. Nothing you submitted was half-saved.")
