"""The API's own pages: the OpenAPI document and the documentation page, with Swagger UI's files
served from the flask-openapi3-swagger package (no CDN: the page works offline under the strict CSP).
The resources' views are in risks.py (and their neighbours), listed in operations.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Response, abort, json, render_template, send_from_directory, url_for

# The package's Swagger UI files, found without importing the package (it would import flask-openapi3).
ASSETS = {
    "swagger-ui.css": "css",
    "swagger-ui-bundle.js": "js",
    "swagger-ui-standalone-preset.js": "js",
}


def assets_folder() -> Path:
    spec = importlib.util.find_spec("flask_openapi3_swagger")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("flask-openapi3-swagger is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "templates" / "swagger"


def openapi():
    from riskreg.api.operations import OPS
    from riskreg.api.spec import document

    body = json.dumps(document(OPS, url_for("api.openapi", _external=False).rsplit("/", 1)[0]))
    return Response(body, mimetype="application/json")


def docs():
    return render_template("api/docs.html")


def docs_asset(name: str):
    folder = ASSETS.get(name)
    if folder is None:
        abort(404)
    response = send_from_directory(assets_folder() / folder, name, max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
