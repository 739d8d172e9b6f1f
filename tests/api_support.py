"""Calling the API as a token of a user: `api(user, read_only=False)` gives a client whose requests
carry `Authorization: Bearer <token>` and JSON."""

from __future__ import annotations

from typing import Any

import pytest

from riskreg.api import tokens
from riskreg.extensions import db


class ApiClient:
    def __init__(self, client: Any, secret: str) -> None:
        self.client, self.secret = client, secret

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(self, path: str, **kw: Any):
        return self.client.get(path, headers=self.headers(kw.pop("headers", None)), **kw)

    def send(self, method: str, path: str, body: Any = None, if_match: str | None = None, **kw: Any):
        headers = self.headers(kw.pop("headers", None))
        if if_match is not None:
            headers["If-Match"] = if_match
        if body is not None and "data" not in kw:
            kw["json"] = body
        return self.client.open(path, method=method, headers=headers, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):
        return self.send("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any):
        return self.send("PATCH", path, body, **kw)


def new_token(user: Any, read_only: bool = False, days: int = 30, name: str = "Test sync") -> str:
    created = tokens.create_token(user, name, read_only, days, actor=user)
    secret = created.secret
    db.session.commit()
    return secret


@pytest.fixture
def api(app):
    def make(user: Any, read_only: bool = False, **kw: Any) -> ApiClient:
        return ApiClient(app.test_client(), new_token(user, read_only, **kw))

    return make


def risk_body(**over: Any) -> dict[str, Any]:
    body = {
        "title": "Cyanide spill at the heap leach",
        "description": "Liner failure after heavy rain.",
        "direction": "to_communities",
        "category": "Environment",
        "impact_area": "environment",
        "inherent_likelihood": 3,
        "inherent_impact": 5,
        "residual_likelihood": 2,
        "residual_impact": 4,
        "treatment": "reduce",
    }
    body.update(over)
    return body
