"""The API's operations, declared once: blueprint.py adds their URL rules from this table and
document() turns the same table and the same pydantic models into the OpenAPI 3.1 document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from riskreg.api import auth, io, schemas
from riskreg.auth.permissions import Permission

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Op:
    method: str
    rule: str  # Flask rule under /api/v1, e.g. "/risks/<int:risk_id>"
    view: Callable[..., Any]
    summary: str
    tag: str
    permission: Permission | Callable[[Any], bool] | None = Permission.VIEW
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    if_match: bool = False
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.view.__name__

    @property
    def path(self) -> str:
        """The OpenAPI path: /risks/{risk_id}."""
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    def bound(self) -> Callable[..., Any]:
        """The view as Flask calls it: the role's permission checked, then the body parsed."""
        view, permission, model = self.view, self.permission, self.body

        @wraps(view)
        def call(**kwargs: Any) -> Any:
            auth.require(permission)
            if model is not None:
                kwargs["body"] = io.body(model)
            return view(**kwargs)

        return call


PROBLEM_CODES = {
    400: "Bad parameters or body: the fields at fault in `errors`",
    401: "No valid bearer token",
    403: "The token or its user's role may not do this",
    404: "No such record",
    409: "Someone else changed the same record at the same moment: try again",
    412: "Stale If-Match: `current` holds the record as it is now",
    413: "Body too large",
    415: "Body not JSON",
    422: "The change breaks a rule of the register",
    428: "If-Match missing",
    429: "Rate limit of the token: see Retry-After",
}


def _problem(code: int) -> dict[str, Any]:
    headers = {"Retry-After": {"schema": {"type": "integer"}}} if code == 429 else {}
    result: dict[str, Any] = {
        "description": PROBLEM_CODES[code],
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="ProblemDetails")}}},
    }
    if headers:
        result["headers"] = headers
    return result


def document(ops: list[Op], server_url: str) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], str]] = [(schemas.ProblemDetails, "serialization")]
    for op in ops:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    _, defs = models_json_schema(models, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "riskreg API",
            "version": VERSION,
            "description": (
                "The risk register of riskreg, for other systems. Authenticate with a personal access "
                "token from /me/tokens: `Authorization: Bearer rr_...`. Changes send the record's "
                "ETag in If-Match. Errors are RFC 9457 problem details."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(op: Op) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in re.findall(r"\{([a-z_]+)\}", op.path)
    ]
    parameters += [
        {"name": p.name, "in": "query", "required": False, "schema": p.schema, "description": p.description}
        for p in op.query
    ]
    if op.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": 'The ETag of the record as read, e.g. "3".',
            }
        )
    success: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
    if op.response is not None:
        success["content"] = {
            "application/json": {"schema": {"$ref": REF.format(model=op.response.__name__)}}
        }
        if "version" in op.response.model_fields:
            success["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "The version."}}
    codes = {401, 429, *op.errors}
    if op.query:
        codes.add(400)
    if op.body is not None:
        codes |= {400, 413, 415}
    if op.if_match:
        codes |= {400, 412, 428}
    if op.permission is not Permission.VIEW or op.method != "GET":
        codes.add(403)
    if "{" in op.path:
        codes.add(404)
    responses = {str(op.status): success, **{str(code): _problem(code) for code in sorted(codes)}}
    result: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if op.description:
        result["description"] = op.description
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}},
        }
    return result
