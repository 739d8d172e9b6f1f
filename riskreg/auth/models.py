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
    # Part of the login cookie's id; rotating it signs out every copy of an old cookie.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship(back_populates="heads", lazy="joined")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


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
