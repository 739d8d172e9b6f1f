"""Personal access tokens: a high-entropy secret shown once, stored as its SHA-256 digest."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User


class ApiToken(db.Model):
    """A bearer token of one user. It never has more rights than the user: the user's role decides,
    a read-only token may only read, and an inactive user's tokens are refused."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # The token's first characters ("rr_" and 8 more): shown in lists, useless on their own.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    # SHA-256 (hex) of the whole token: a 256-bit random secret needs no slow hash.
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    read_only: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def access(self) -> str:
        return "read-only" if self.read_only else "read and write"

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.user.active

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix} of user {self.user_id}>"
