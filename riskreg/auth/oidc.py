"""OpenID Connect sign-in (Entra ID, Okta, Keycloak...) with Authlib's Flask client.

The authorization-code flow with PKCE (S256), `state` and `nonce` (Authlib keeps them in the
session and checks them; `nonce`, issuer, audience, expiry and the RS256 signature against the
provider's JWKS are checked by parse_id_token). Decision: the settings are checked and the
provider's discovery document fetched when the app starts, only when RISKREG_OIDC_ISSUER is set,
so a wrong issuer (unreachable, or announcing another issuer) stops riskreg at start-up with the
setting named, and nothing is fetched when OpenID Connect is off (tests, CLI). The signing keys
(JWKS) are fetched at the first sign-in and again when the provider rotates them.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from riskreg.auth import rolemap

EXTENSION = "riskreg_oidc"
DISCOVERY = "/.well-known/openid-configuration"


def enabled(app: Flask | None = None) -> bool:
    return EXTENSION in (app or current_app).extensions


def client() -> Any:
    return current_app.extensions[EXTENSION]["client"]


def grants_of(app: Flask | None = None) -> list[rolemap.Grant]:
    return (app or current_app).extensions[EXTENSION]["grants"]


def provider_name() -> str:
    return current_app.config["OIDC_PROVIDER_NAME"]


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def configure(app: Flask) -> None:
    """Check the OIDC settings and load the provider's metadata; ValueError naming the setting."""
    config = app.config
    issuer = (config.get("OIDC_ISSUER") or "").strip().rstrip("/")
    if not issuer:
        return
    parts = urlsplit(issuer)
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
        raise ValueError(f"RISKREG_OIDC_ISSUER must be an https:// address, not {issuer!r}")
    for key in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not config.get(key):
            raise ValueError(f"RISKREG_{key} must be set when RISKREG_OIDC_ISSUER is")
    grants = rolemap.parse("RISKREG_OIDC_ROLE_MAP", config.get("OIDC_ROLE_MAP"))
    if not grants:
        raise ValueError("RISKREG_OIDC_ROLE_MAP must map at least one group to a role (nobody else gets in)")
    oauth = OAuth(app)
    oidc = oauth.register(
        "oidc",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer + DISCOVERY,
        client_kwargs={
            "scope": config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": config["OIDC_TIMEOUT"],
        },
    )
    try:
        metadata = oidc.load_server_metadata()
    except Exception as exc:  # any failure to read it stops the start, with its reason
        raise ValueError(
            f"RISKREG_OIDC_ISSUER: the provider's discovery document at {issuer + DISCOVERY} could not be "
            f"read ({type(exc).__name__}: {exc})"
        ) from exc
    announced = str(metadata.get("issuer", "")).rstrip("/")
    if announced != issuer:
        raise ValueError(
            f"RISKREG_OIDC_ISSUER is {issuer!r} but the provider's discovery document names the issuer "
            f"{metadata.get('issuer')!r}"
        )
    missing = [
        key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(key)
    ]
    if missing:
        raise ValueError(f"RISKREG_OIDC_ISSUER: the discovery document lacks {', '.join(missing)}")
    app.extensions[EXTENSION] = {"client": oidc, "grants": grants, "oauth": oauth}


def claims_options() -> dict[str, Any]:
    """The ID token must come from the issuer and name this client among its audiences (Authlib
    checks the audience only when told to)."""
    metadata = client().load_server_metadata()
    return {
        "iss": {"essential": True, "values": [metadata["issuer"]]},
        "aud": {"essential": True, "values": [current_app.config["OIDC_CLIENT_ID"]]},
    }


def reason_of(error: Exception) -> str:
    """A short code for the audit trail: the OAuth error (invalid_grant, mismatching_state...), or
    the ID token check that failed (InvalidClaimError: nonce, BadSignatureError...)."""
    if isinstance(error, OAuthError) and error.error:
        return str(error.error)[:60]
    claim = getattr(error, "claim", None)
    return f"{type(error).__name__}{': ' + claim if claim else ''}"[:60]


def groups_of(claims: dict[str, Any]) -> list[str]:
    value = claims.get(current_app.config["OIDC_ROLE_CLAIM"])
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def email_of(claims: dict[str, Any]) -> str | None:
    """`email`, else (Entra ID without the optional email claim) `preferred_username` when it is one."""
    email = claims.get("email")
    if not email and "@" in str(claims.get("preferred_username", "")):
        email = claims["preferred_username"]
    return str(email) if email else None


__all__ = ["OAuthError", "configure", "enabled"]
