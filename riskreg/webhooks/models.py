"""Webhook endpoints and their deliveries (the outbox: one row per event per endpoint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import utcnow


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    events: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # event types, see webhooks.events
    # "whsec_" + base64: the signing key, kept to sign (shown to admins on the endpoint's page).
    secret: Mapped[str] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    deliveries = relationship("WebhookDelivery", back_populates="endpoint", lazy="raise")


class WebhookDelivery(db.Model):
    """One event for one endpoint: tried after the commit that caused it, then by `flask webhooks
    deliver` with exponential backoff until it is accepted (2xx) or 24 hours have passed."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(sa.String(40), unique=True)  # webhook-id: the same on retries
    event_type: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[str] = mapped_column(sa.Text)  # the exact JSON body that is signed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)  # None: done or given up
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    response_ms: Mapped[int | None]

    endpoint = relationship("WebhookEndpoint", back_populates="deliveries", lazy="joined")

    __table_args__ = (
        sa.Index("ix_webhook_deliveries_due", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    @property
    def state(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        return "failed" if self.next_attempt_at is None else "pending"
