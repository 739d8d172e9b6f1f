"""Personal access tokens: create (the secret shown once), find by bearer header, revoke.

A token is "rr_" + 43 URL-safe characters (256 random bits). Only its SHA-256 digest is stored, with
its first 11 characters for people to recognise it by; a random secret that long needs no slow hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.api.models import ApiToken
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.text import single_line

PREFIX = "rr_"
MAX_DAYS = 365
DEFAULT_DAYS = 90
MAX_NAME = 80
MAX_HEADER = 200  # characters of an Authorization header worth hashing
LAST_USE_STEP = timedelta(minutes=1)  # last use is written at most this often per token


class TokenError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str, read_only: bool, days: int, actor: Any) -> NewToken:
    """A new token of `user`, valid for `days` (1 to 365); the caller commits."""
    name = single_line(name or "").strip()
    if not name:
        raise TokenError("name", _l("Give the token a name that says what uses it."))
    if len(name) > MAX_NAME:
        raise TokenError("name", _l("The name must be at most %(count)s characters.", count=MAX_NAME))
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise TokenError("days", _l("A token lasts from 1 to %(count)s days.", count=MAX_DAYS))
    if not user.active:
        raise TokenError(
            "user", _l("%(email)s is disabled: a disabled user has no tokens.", email=user.email)
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:11],
        digest=digest(secret),
        read_only=read_only,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "user",
        user.id,
        "token_create",
        actor,
        {
            "token": [None, f"{token.prefix}… {name}"],
            "access": [None, token.access],
            "expires": [None, audit.plain(token.expires_at)],
        },
    )
    return NewToken(token, secret)


def revoke_token(token: ApiToken, actor: Any) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        "user", token.user_id, "token_revoke", actor, {"token": [f"{token.prefix}… {token.name}", None]}
    )
    return True


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    if not header or len(header) > MAX_HEADER:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(PREFIX):
        return None
    return value


@cache
def _by_digest() -> sa.Select:
    """Built once, run with a bind parameter: every API request looks its token up."""
    return sa.select(ApiToken).where(ApiToken.digest == sa.bindparam("digest"))


def find_usable(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The token with this secret when it is neither revoked nor expired and its user is active."""
    now = now or utcnow()
    token = db.session.scalar(_by_digest(), {"digest": digest(secret)})
    if token is None or not token.usable(now):
        return None
    return token


def note_use(token: ApiToken, now: datetime | None = None) -> None:
    """Record the last use, at most once a minute per token (a busy client does not write on every
    request), committed at once: the request's own work runs in a transaction of its own after it."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_STEP:
        return
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    db.session.commit()
