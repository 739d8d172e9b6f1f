"""Users and their roles, and the failed sign-ins that slow down further attempts."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from riskreg.departments.models import Department


class Role(LabelledEnum):
    ADMIN = "admin"
    RISK_MANAGER = "risk_manager"
    DEPARTMENT_HEAD = "department_head"
    EXECUTIVE = "executive"
    GRIEVANCE_OFFICER = "grievance_officer"


class SignInSource(LabelledEnum):
    """Where the account's sign-in is checked: riskreg's own password, an OpenID provider, LDAP."""

    LOCAL = "local"
    OIDC = "oidc"
    LDAP = "ldap"

    @property
    def label(self) -> str:
        if self is SignInSource.LOCAL:
            return "Local"
        return "OpenID Connect" if self is SignInSource.OIDC else "LDAP"


# Stored instead of a password hash for accounts whose password lives elsewhere (OIDC, LDAP): it
# is no hash of anything, so no password ever matches it.
NO_PASSWORD = "!external"  # noqa: S105 (a marker, not a password)


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), index=True)  # the register sorts by owner name
    role: Mapped[Role] = mapped_column(enum_type(Role), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    source: Mapped[SignInSource] = mapped_column(
        enum_type(SignInSource), default=SignInSource.LOCAL, server_default=SignInSource.LOCAL.value
    )
    # The account at its source: "<issuer> <subject>" for OpenID Connect, the entry's DN for LDAP.
    external_id: Mapped[str | None] = mapped_column(sa.String(500))
    # Two-factor authentication (auth/twofactor.py): the TOTP secret once enrolment is confirmed,
    # and the last time step used, so that a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # Part of the login cookie's id; rotating it signs out every copy of an old cookie.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    last_login_at: Mapped[datetime | None]
    # The language chosen in /me/settings (riskreg.i18n.LANGUAGES); None follows the browser.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship(back_populates="heads", lazy="joined")

    __table_args__ = (sa.Index("ix_users_source_external_id", "source", "external_id", unique=True),)

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_secret is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor; only its SHA-256 is kept (the code is
    80 random bits, shown once at enrolment)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]


class SignInThrottle(db.Model):
    """Failed sign-ins of one account from one source (a client address, or "*" for every source
    together); auth/throttle.py turns them into a wait. Kept in the database so that every worker
    and host agrees."""

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A keyed hash of the email as typed: known and unknown emails are throttled alike, and no
    # mistyped email (or password typed into the email field) is stored.
    account_key: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]

    __table_args__ = (sa.UniqueConstraint("account_key", "source", name="uq_sign_in_throttles_key_source"),)
