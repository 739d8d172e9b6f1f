"""The appetite of one risk category: the highest residual band the company carries without escalation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskreg.extensions import db
from riskreg.modeling import utcnow


class CategoryAppetite(db.Model):
    __tablename__ = "category_appetites"

    # Categories are names in seeds/taxonomy.toml (they have no separate code).
    category: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    max_band: Mapped[str] = mapped_column(sa.String(16))  # a band key of the matrix
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
