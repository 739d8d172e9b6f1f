"""Who may read /metrics: a bearer token (RISKREG_METRICS_TOKEN) or a client address in
RISKREG_METRICS_ALLOW (CIDRs, comma-separated). Neither set: /metrics does not exist (404).

The client's address is request.remote_addr: behind RISKREG_PROXY_COUNT proxies ProxyFix has
taken it from X-Forwarded-For, so a client cannot claim an allowed address by sending the header.
Only the token's SHA-256 is kept, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from flask import Flask, Request

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_KEY = "riskreg.metrics.access"


@dataclass(frozen=True)
class Access:
    token_sha256: bytes | None
    networks: tuple[IpNetwork, ...]

    @property
    def enabled(self) -> bool:
        return self.token_sha256 is not None or bool(self.networks)


def parse_networks(raw: str) -> tuple[IpNetwork, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as error:
            raise ValueError(f"RISKREG_METRICS_ALLOW: {part!r} is not an address or CIDR ({error})") from None
    return tuple(networks)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def configure(app: Flask) -> None:
    """Checked at start: a typo in the address list fails here, naming the setting."""
    token = (app.config.get("METRICS_TOKEN") or "").strip()
    app.extensions[_KEY] = Access(
        token_sha256=digest(token) if token else None,
        networks=parse_networks(app.config.get("METRICS_ALLOW") or ""),
    )


def access_of(app: Flask) -> Access:
    return app.extensions[_KEY]


def bearer(request: Request) -> str | None:
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def allowed(access: Access, request: Request) -> bool:
    token = bearer(request)
    if token is not None and access.token_sha256 is not None:
        # Comparing digests: constant time whatever the given token's length.
        if hmac.compare_digest(digest(token), access.token_sha256):
            return True
    if access.networks and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in network for network in access.networks)
    return False
