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


class RiskCellCount(db.Model):
    """How many risks sit in each heatmap cell, per basis and per the dashboard's filter dimensions.

    Kept by database triggers on `risks` (riskreg/dashboard/counts.py) in the writing transaction,
    so every writer (forms, bulk changes, imports, the scale seed) keeps it true; the dashboard and
    the register's band counts read it instead of counting the register. `flask dashboard recount`
    rebuilds it from the risks.
    """

    __tablename__ = "risk_cell_counts"

    basis: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # inherent | residual | target
    site_key: Mapped[int] = mapped_column(primary_key=True)  # the site's id; 0 corporate; -1 every site
    category: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # "*": every category
    status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    likelihood: Mapped[int] = mapped_column(primary_key=True)  # 0: no target score
    impact: Mapped[int] = mapped_column(primary_key=True)
    risk_count: Mapped[int] = mapped_column(default=0)


class ControlCount(db.Model):
    """How many controls each department has per status, and for the open ones per owner and per
    due year, month and day: the dashboard's departments table reads a few index ranges of it
    instead of every control. Kept like RiskCellCount (triggers on `controls`,
    riskreg/dashboard/counts.py, which says what each kind of row counts); its size follows the
    distinct due dates and owners, not the controls."""

    __tablename__ = "control_counts"

    # In the primary key's order: a read is one range of a kind, then of its due keys or owners.
    kind: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # all | owner | year | month | day
    due_key: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # YYYY[-MM[-DD]]; "" none/any
    owner_key: Mapped[int] = mapped_column(primary_key=True)  # the owner's user id; 0 nobody or any
    department_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    control_count: Mapped[int] = mapped_column(default=0)
