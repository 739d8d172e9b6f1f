"""A review of a risk (a reassessment, or "reviewed, no change" with a note) and the reminder
mails sent per owner per day."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User


class ReviewKind(LabelledEnum):
    REASSESSED = "reassessed"
    NO_CHANGE = "no_change"

    @property
    def label(self) -> str:
        return "Reassessed" if self is ReviewKind.REASSESSED else "Reviewed, no change"


class RiskReview(db.Model):
    """One review of a risk: who, when, the outcome, the note, the scores at the time, and the next
    review date before and after. It also answers the risk's open review flags (indicators)."""

    __tablename__ = "risk_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(sa.ForeignKey("risks.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[ReviewKind] = mapped_column(enum_type(ReviewKind))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The scores the reviewer looked at (after the edit, for a reassessment); None on reviews
    # recorded before they were kept.
    inherent_score: Mapped[int | None]
    residual_score: Mapped[int | None]
    next_review_before: Mapped[date | None]
    next_review_after: Mapped[date | None]

    by: Mapped[User | None] = relationship(lazy="raise")


class ReviewReminder(db.Model):
    """A review reminder mail queued for one owner on one day: a second run that day sends nothing."""

    __tablename__ = "review_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    sent_on: Mapped[date]
    risk_count: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "sent_on", name="uq_review_reminders_user_day"),)
