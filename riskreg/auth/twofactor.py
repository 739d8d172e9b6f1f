"""Two-factor authentication: TOTP (RFC 6238, pyotp) with one-time recovery codes.

Enrolment: a new secret is shown as a QR code drawn on the server (segno, SVG) and kept in the
session until the person confirms it with a code from their app; only then is it stored, with ten
recovery codes shown once and kept as SHA-256 hashes. A code (or recovery code) is checked after
the password, throttled like the password (auth/throttle.py, the same account key), and a time step
once used is refused again. Accounts whose provider signs them in (OpenID Connect) are never asked.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.auth import throttle
from riskreg.auth.models import RecoveryCode, Role, SignInSource, User
from riskreg.extensions import db
from riskreg.modeling import utcnow

ISSUER = "riskreg"
RECOVERY_CODES = 10
REQUIRE_CHOICES = ("", "admin", "local")


class TwoFactorError(ValueError):
    """The code was not right, or the change is not allowed; the message says why."""


def offered_to(user: User) -> bool:
    """Two-factor sign-in is for accounts that sign in with a password here (local, LDAP)."""
    return user.source is not SignInSource.OIDC


def required_for(user: User) -> bool:
    """RISKREG_REQUIRE_2FA_FOR: "admin" (admins signing in with a password) or "local" (every local
    account); never an OpenID Connect account, whose provider asks for its own second factor."""
    rule = current_app.config.get("REQUIRE_2FA_FOR", "")
    if not offered_to(user):
        return False
    if rule == "local":
        return user.source is SignInSource.LOCAL
    if rule == "admin":
        return user.role is Role.ADMIN
    return False


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG markup (no image service, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff")


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step the code belongs to (this one or a neighbour, for clock drift), or None; a
    step at or before the last one used is refused (no replay)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            return step
    return None


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery(code).encode()).hexdigest()


def normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the codes are returned to show once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(10)  # 80 bits
        codes.append("-".join(raw[i : i + 5] for i in range(0, 20, 5)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_code(codes[-1])))
    return codes


def unused_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def enable(user: User, secret: str, code: str) -> list[str]:
    """Confirm enrolment with a first code from the app; returns the recovery codes to show once."""
    if not offered_to(user):
        raise TwoFactorError(_l("Your company's sign-in asks for your second factor; riskreg does not."))
    step = _matching_step(secret, code, None)
    if step is None:
        raise TwoFactorError(_l("That code is not right: enter the 6 digits your app shows now."))
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = new_recovery_codes(user)
    user.rotate_session_token()  # other sessions were opened without the second factor
    audit.record(
        "user",
        user.id,
        "enable_2fa",
        user,
        {"two_factor": [False, True], "recovery_codes": [None, len(codes)]},
    )
    return codes


def disable(user: User, actor: Any, action: str = "disable_2fa") -> None:
    """Turn two-factor sign-in off (the person, or an admin resetting it): secret and codes go."""
    was = user.two_factor_enabled
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.rotate_session_token()
    audit.record("user", user.id, action, actor, {"two_factor": [was, False]})


def check_second_factor(user: User, code: str, source: str | None) -> tuple[bool, int]:
    """A TOTP code or an unused recovery code, throttled with the password's rule and account key.

    Returns (accepted, seconds to wait); the outcome is flushed, the caller commits."""
    source, now = throttle.clean_source(source), utcnow()
    key = throttle.account_key(user.email)
    wait = throttle.seconds_to_wait(key, source, now)
    if wait:
        return False, wait
    accepted = False
    step = _matching_step(user.totp_secret or "", code, user.totp_last_step) if user.totp_secret else None
    if step is not None:
        user.totp_last_step = step
        accepted = True
    elif normalise_recovery(code) and len(normalise_recovery(code)) == 20:
        recovery = db.session.scalar(
            sa.select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == hash_code(code),
                RecoveryCode.used_at.is_(None),
            )
        )
        if recovery is not None:
            left = unused_recovery_codes(user)
            recovery.used_at = now
            accepted = True
            audit.record(
                "user", user.id, "use_recovery_code", user, {"recovery_codes_left": [left, left - 1]}
            )
    if accepted:
        throttle.forget_failures(key, source)
        user.last_login_at = now
    else:
        throttle.record_failure(key, source, now)
    db.session.flush()
    return accepted, 0
