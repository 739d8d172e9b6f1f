"""Departments that own controls (Security, Community Relations, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db

if TYPE_CHECKING:
    from riskreg.auth.models import User


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    heads: Mapped[list[User]] = relationship(back_populates="department", lazy="raise")

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name}>"
