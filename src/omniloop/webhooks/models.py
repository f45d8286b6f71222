"""Webhook tables: subscriptions, one delivery per (subscription, event), one row per attempt."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

_PENDING = text("status = 'pending'")


class WebhookSubscription(MerchantScoped, Base):
    """An endpoint and the event patterns it receives.

    The secret is kept in clear because signing needs it; the API shows it only once, in
    the response that creates the subscription.
    """

    __tablename__ = "webhook_subscription"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JsonType)
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "created_at", "id"),
    )


class WebhookDelivery(MerchantScoped, Base):
    """One event on its way to one subscription: pending until delivered or given up.

    ``claimed_until`` is a lease: a dispatcher sets it before posting, so another process
    leaves the delivery alone until the post is recorded or the lease runs out (the process
    died), after which the delivery is retried — at least once, never lost.
    """

    __tablename__ = "webhook_delivery"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subscription_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("merchant_id", "subscription_id", "event_id"),
        ForeignKeyConstraint(
            ["merchant_id", "subscription_id"],
            ["webhook_subscription.merchant_id", "webhook_subscription.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["merchant_id", "event_id"], ["outbox_event.merchant_id", "outbox_event.id"]
        ),
        Index(None, "merchant_id", "subscription_id", "created_at", "id"),
        # Small (pending rows only): what the dispatcher scans for due deliveries.
        Index(
            "ix_webhook_delivery_pending",
            "merchant_id",
            "next_attempt_at",
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
    )

    @classmethod
    def pending(
        cls,
        *,
        merchant_id: uuid.UUID,
        subscription_id: uuid.UUID,
        event_id: uuid.UUID,
        event_type: str,
        now: datetime,
    ) -> WebhookDelivery:
        """A delivery due at once, not yet attempted."""
        return cls(
            id=new_id(),
            merchant_id=merchant_id,
            subscription_id=subscription_id,
            event_id=event_id,
            event_type=event_type,
            status="pending",
            attempt_count=0,
            next_attempt_at=now,
            created_at=now,
        )


class WebhookAttempt(MerchantScoped, Base):
    """One POST of a delivery and what came back; append-only."""

    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    status_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    duration_ms: Mapped[int]
    attempted_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "delivery_id"],
            ["webhook_delivery.merchant_id", "webhook_delivery.id"],
            ondelete="CASCADE",
        ),
    )
