"""Monthly counts of risks per band, kept so the dashboard can draw a trend."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskreg.extensions import db
from riskreg.modeling import utcnow


class BandSnapshot(db.Model):
    __tablename__ = "band_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date]  # first day of the month
    basis: Mapped[str] = mapped_column(sa.String(16))  # inherent | residual
    band: Mapped[str] = mapped_column(sa.String(16))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"))
    direction: Mapped[str | None] = mapped_column(sa.String(24))
    risk_count: Mapped[int]
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_band_snapshots_month", "month", "basis"),)
