"""An acceptance of a risk: who asked, why, at what residual score, until when, and who decided."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from riskreg.auth.models import User
    from riskreg.risks.models import Risk


class AcceptanceState(LabelledEnum):
    PENDING = "pending"  # asked, not yet decided
    ACTIVE = "active"  # approved and not yet expired: the risk is accepted
    REJECTED = "rejected"
    EXPIRED = "expired"  # its expiry date came: the risk needs review
    VOIDED = "voided"  # the residual score rose above the one accepted
    SUPERSEDED = "superseded"  # a later approved acceptance (an extension) took its place

    @property
    def label(self) -> str:
        if self is AcceptanceState.PENDING:
            return "Acceptance pending"
        if self is AcceptanceState.ACTIVE:
            return "Accepted"
        return super().label


OPEN_STATES = (AcceptanceState.PENDING, AcceptanceState.ACTIVE)


class Acceptance(db.Model):
    __tablename__ = "risk_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(sa.ForeignKey("risks.id"))
    state: Mapped[AcceptanceState] = mapped_column(
        enum_type(AcceptanceState, "acceptance_state"), default=AcceptanceState.PENDING
    )
    justification: Mapped[str] = mapped_column(sa.Text)
    # The residual assessment the request was made on: a rise above it voids the acceptance.
    residual_score: Mapped[int]
    residual_band: Mapped[str] = mapped_column(sa.String(16))
    expires_on: Mapped[date]
    approver_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The treatment the risk had before this request set it to Accept (back to it on rejection).
    previous_treatment: Mapped[str | None] = mapped_column(sa.String(16))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    warned_on: Mapped[date | None]  # the expiry warning went out (once)
    ended_at: Mapped[datetime | None]  # expired, voided or superseded
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    risk: Mapped[Risk] = relationship(lazy="raise")
    approver: Mapped[User] = relationship(foreign_keys=[approver_id], lazy="raise")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_risk_acceptances_risk_state", "risk_id", "state"),  # "has an active acceptance"
        sa.Index("ix_risk_acceptances_state_expiry", "state", "expires_on"),
        sa.Index("ix_risk_acceptances_approver_state", "approver_id", "state"),
    )

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES
