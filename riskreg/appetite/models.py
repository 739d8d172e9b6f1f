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


class RiskCover(db.Model):
    """The risks that are covered: a treatment plan (an open control linked) or an approved, active
    acceptance (riskreg.appetite.queries.covered_condition). Kept by triggers on the links, the
    controls' status and the acceptances (riskreg/appetite/cover.py), in the writing transaction;
    a risk without a row is not covered. It lets AppetiteCount split its counts by coverage."""

    __tablename__ = "risk_cover"

    # No foreign key: the row goes just before its risk (a trigger), so the counts move with it.
    risk_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class AppetiteCount(db.Model):
    """How many risks sit at each residual band rank, per category, status, direction and coverage:
    the dashboard's "Above appetite" and its escalated count (above, not covered) read a few hundred
    rows of it, whatever the register's size and whatever the appetites. Kept by triggers on
    `risks` and `risk_cover` (riskreg/dashboard/counts.py, riskreg/appetite/cover.py)."""

    __tablename__ = "appetite_counts"

    category: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    band_rank: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    covered: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)  # 1: risk_cover holds it
    risk_count: Mapped[int] = mapped_column(default=0)
