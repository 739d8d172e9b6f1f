"""Security headers, Secure cookies over https, and the one place that says which pages need no
sign-in.

Over https (as the client sees it: behind RISKREG_PROXY_COUNT proxies ProxyFix reads
X-Forwarded-Proto) every cookie is marked Secure and HSTS is sent, with no setting needed;
RISKREG_SECURE_COOKIES=true does both on every request (a proxy that does not say https).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from itsdangerous import BadSignature

from riskreg.extensions import login_manager

# Everything else requires a signed-in, active user.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.second_factor",
    "auth.oidc_start",
    "auth.oidc_callback",
    "health.healthz",
    "observability.metrics",  # its own token or address check (observability/access.py)
    "static",
    "favicon",
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Plotly adds <style> elements at run time; scripts stay strict.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Browser features riskreg never uses, denied to the pages and anything they might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def over_https(app: Flask) -> bool:
    return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)


# A signed-in session is permanent: its cookie's 8-hour life slides forward with each request.
# Flask re-signs it on every response for that (a JSON dump, a zlib pass, an HMAC and a header on
# every page); here it is re-signed once it is a minute old, and at once whenever it changes.
SESSION_REFRESH_AFTER = timedelta(minutes=1)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure over https; and since the session is saved after every
    after_request hook (Flask-Login's remember-me cookie included), every cookie of the response
    is marked Secure here too. An unchanged session's cookie is sent again only to slide its
    expiry (SESSION_REFRESH_AFTER)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return over_https(app)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's own, keeping when the cookie was signed (`signed_at`)."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at  # type: ignore[attr-defined]
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or datetime.now(UTC) - signed_at >= SESSION_REFRESH_AFTER

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        super().save_session(app, session, response)
        if over_https(app):
            mark_cookies_secure(response)


def mark_cookies_secure(response: Response) -> None:
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies:
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        response.headers.add("Set-Cookie", cookie if "secure" in attributes else f"{cookie}; Secure")


def register(app: Flask) -> None:
    app.session_interface = HttpsAwareSessionInterface()

    @app.before_request
    def _require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if request.blueprint == "api":  # bearer tokens only, never the session: riskreg/api/auth.py
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.endpoint != "static" and "Cache-Control" not in headers:
            # Register data must not linger in shared caches or the back button after logout.
            headers["Cache-Control"] = "no-store"
        if over_https(app):
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
