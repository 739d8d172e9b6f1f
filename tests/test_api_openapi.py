"""The OpenAPI 3.1 document: valid, generated from the models that validate requests, covering every
route of the API blueprint and no route that does not exist; and its documentation page, offline."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from riskreg.api import schemas
from riskreg.security import CONTENT_SECURITY_POLICY

OPEN = {"/openapi.json", "/docs", "/docs/assets/{name}"}  # the description of the API itself


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")  # no token needed, nor a session
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), path) for path, operations in document["paths"].items() for method in operations
    }
    routes = {(method, path) for method, path in api_routes(app) if path not in OPEN}
    assert routes, "the API has routes"
    assert documented == routes
    assert document["servers"] == [{"url": "/api/v1"}]


def test_the_request_schemas_are_the_models_that_validate(client):
    document = client.get("/api/v1/openapi.json").get_json()
    components = document["components"]["schemas"]
    for model in (schemas.RiskCreate, schemas.RiskPatch):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        generated.pop("$defs", None)
        assert components[model.__name__] == generated
        assert components[model.__name__]["additionalProperties"] is False
    create = document["paths"]["/risks"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RiskCreate")
    assert {"owner_id", "treatment", "impact_area"} <= set(components["RiskCreate"]["required"])


def test_the_docs_page_is_offline_and_runs_no_inline_script(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    sources = re.findall(r'<script src="([^"]+)"></script>', html)
    assert len(sources) == html.count("<script") == 3  # every script is a file: nothing inline
    for url in [*sources, *re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)]:
        assert url.startswith("/"), url  # served by riskreg, no CDN
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.get_data()) > 100, url
        asset.close()
    bundle = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.get_data()
    bundle.close()
    assert client.get("/api/v1/docs/assets/..%2fplugins.py").status_code == 404
    assert client.get("/api/v1/docs/assets/index.html").status_code == 404
