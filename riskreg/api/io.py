"""Reading bodies, answering with JSON, and the ETag / If-Match version check."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from flask import Response, json, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from riskreg.api.problems import Problem
from riskreg.i18n import gettext as _

M = TypeVar("M", bound=BaseModel)
_ETAG = re.compile(r'(?:W/)?"([1-9][0-9]{0,9})"')


def body(model: type[M]) -> M:
    """The JSON body as `model`: a 415 when it is not JSON, a 400 naming each bad or unknown field."""
    if request.mimetype != "application/json":
        raise Problem(415, _("Send the body as JSON with 'Content-Type: application/json'."))
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as error:
        raise Problem(413, _("The request body is too large.")) from error
    if not raw.strip():
        raise Problem(400, _("The body is empty: send a JSON object ({} when there is nothing to say)."))
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise Problem(400, *_described(error)) from error


def _described(error: ValidationError) -> tuple[str, list[dict[str, str]]]:
    errors, unknown = [], []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "(body)"
        if item["type"] == "extra_forbidden":
            unknown.append(field)
            errors.append({"field": field, "message": _("Unknown field.")})
        else:
            errors.append({"field": field, "message": item["msg"]})
    if unknown:
        return _("Unknown fields: %(fields)s.", fields=", ".join(unknown)), errors
    return _("Some fields are missing or not valid: see errors."), errors


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version() -> int:
    """The version named by If-Match: a 428 without one (a blind write could overwrite a change)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise Problem(
            428,
            _(
                "Send the ETag of the record you changed in If-Match, so that a change saved meanwhile "
                "is not overwritten."
            ),
        )
    found = _ETAG.fullmatch(raw)
    if found is None:
        raise Problem(
            400, _('If-Match must be one ETag of this API, like "3"; %(value)s is not.', value=repr(raw[:40]))
        )
    return int(found.group(1))


def stale(version: int, current: BaseModel) -> Problem:
    return Problem(
        412,
        _(
            "The record is at version %(current)s now, not %(given)s: read it again, then "
            "make your change on the current version.",
            current=current.version,  # type: ignore[attr-defined]
            given=version,
        ),
        headers={"ETag": etag(current.version)},  # type: ignore[attr-defined]
        current=current.model_dump(mode="json"),
    )


def respond(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    result = Response(json.dumps(model.model_dump(mode="json")), status=status, mimetype="application/json")
    version = getattr(model, "version", None)
    if isinstance(version, int):
        result.headers["ETag"] = etag(version)
    result.headers.update(headers or {})
    return result


def rule_broken(field: str, message: str) -> Problem:
    return Problem(422, message, [{"field": field, "message": message}])


def dumps(value: Any) -> str:
    return json.dumps(value)
