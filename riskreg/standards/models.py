"""Requirements of the industry standards (GRI, IRMA, RJC, ...) that risks and controls answer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskreg.extensions import db


class Requirement(db.Model):
    """Identity is framework + edition + identifier: numbers move between editions."""

    __tablename__ = "requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # the seed file's natural key
    framework_key: Mapped[str] = mapped_column(sa.String(24), index=True)  # "IRMA", "RJC", ...
    framework: Mapped[str] = mapped_column(sa.String(200))
    edition: Mapped[str] = mapped_column(sa.String(200))
    identifier: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    audit_evidence: Mapped[str] = mapped_column(sa.Text, default="")
    scope: Mapped[str] = mapped_column(sa.String(80), default="")
    version_notes: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (
        sa.UniqueConstraint("framework", "edition", "identifier", name="uq_requirements_identity"),
    )

    def __repr__(self) -> str:
        return f"<Requirement {self.code}>"


class AppSetting(db.Model):
    """Company-wide settings kept in the database (shared by every worker and host)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
