"""A real OpenID provider on loopback for the sign-in tests, built from Authlib's server components:
discovery, authorization (approving the configured test user at once), token and JWKS endpoints,
signing RS256 ID tokens with a key generated for the session. `behaviour` turns it into a provider
that misbehaves in one way (another nonce, audience, issuer, an expired token, another key...)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode as _OpenIDCode
from authlib.oidc.core import UserInfo
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

CLIENT_ID = "riskreg-test"
CLIENT_SECRET = "riskreg-test-secret-value"
KID = "test-key-1"


@dataclass
class Person:
    sub: str = "00u-ada-0001"
    email: str = "ada@mine.example"
    name: str = "Ada Lovelace"
    groups: list[str] = field(default_factory=lambda: ["grp-risk"])


class Client(ClientMixin):
    def __init__(self, redirect_uris: list[str]) -> None:
        self.redirect_uris = redirect_uris

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == CLIENT_SECRET

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    redirect_uri: str
    scope: str
    person: Person
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return "0"

    def get_amr(self) -> list[str]:
        return ["pwd", "mfa"]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:  # no line per request in the test output
        pass


class OpenIDProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
        # Same kid, not in the JWKS: a token signed with it must fail on its signature.
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
        self.person = Person()
        self.behaviour: dict[str, Any] = {}
        self.codes: dict[str, Code] = {}
        self.redirect_uris = ["http://localhost/login/oidc/callback"]
        self.app = self._build()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OpenIDProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def reset(self) -> None:
        self.person = Person()
        self.behaviour = {}
        self.codes.clear()

    def _build(self) -> Flask:
        provider = self
        app = Flask("oidc_provider")
        client = Client(self.redirect_uris)

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = Code(
                    code=code,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.scope,
                    person=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, _client: Any) -> Code | None:
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)  # a code works once

            def authenticate_user(self, authorization_code: Code) -> Person:
                return authorization_code.person

        class OpenIDCode(_OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, _client: Any) -> Any:
                key = provider.other_key if provider.behaviour.get("other_key") else provider.key
                return key.as_dict(private=True)

            def get_client_algorithm(self, _client: Any) -> str:
                return "RS256"

            def get_encode_header(self, _client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": KID}

            def get_client_claims(self, _client: Any) -> dict[str, Any]:
                now = int(time.time())
                behaviour = provider.behaviour
                claims = {
                    "iss": behaviour.get("iss", provider.issuer),
                    "aud": behaviour.get("aud", [CLIENT_ID]),
                    "iat": now,
                    "exp": now + 300,
                }
                if "azp" in behaviour:
                    claims["azp"] = behaviour["azp"]
                if behaviour.get("expired"):
                    claims.update(iat=now - 3600, exp=now - 1800, auth_time=now - 3600)
                return claims

            def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
                claims = super().get_authorization_code_claims(authorization_code)
                if "nonce" in provider.behaviour:
                    claims["nonce"] = provider.behaviour["nonce"]
                return claims

            def generate_user_info(self, person: Person, scope: str) -> UserInfo:
                return UserInfo(sub=person.sub, email=person.email, name=person.name, groups=person.groups)

        server = AuthorizationServer(
            app,
            query_client=lambda cid: client if cid == CLIENT_ID else None,
            save_token=lambda token, req: None,
        )
        server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenIDCode(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            issuer = provider.behaviour.get("discovery_issuer", provider.issuer)
            return jsonify(
                issuer=issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
                end_session_endpoint=f"{provider.issuer}/logout",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/authorize")
        def authorize():
            grant = server.get_consent_grant(end_user=provider.person)  # approved at once
            return server.create_authorization_response(grant_user=provider.person, grant=grant)

        @app.post("/token")
        def token():
            return server.create_token_response()

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get("/logout")
        def logout():
            return "signed out at the provider"

        _ = request  # the endpoints read the request through Authlib
        return app
