"""Payment tables: payments, refunds, per-merchant provider secrets, the sandbox outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class Payment(MerchantScoped, Base):
    """One attempt to collect money through a provider: what an order still owes after its
    points and wallet tenders, or a wallet top-up."""

    __tablename__ = "payment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    top_up_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    provider: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))
    provider_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    pay_url: Mapped[str | None] = mapped_column(String(500), default=None)
    qr_payload: Mapped[str | None] = mapped_column(String(500), default=None)
    # True when this payment paid the order; False for one that succeeded after the order
    # stopped being payable (it is refunded at once instead).
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "order_id"], ["sales_order.merchant_id", "sales_order.id"]
        ),
        ForeignKeyConstraint(["merchant_id", "top_up_id"], ["top_up.merchant_id", "top_up.id"]),
        Index(None, "merchant_id", "order_id", "created_at"),
        Index(None, "merchant_id", "top_up_id"),
        Index(None, "merchant_id", "provider", "provider_ref"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "(order_id IS NULL) <> (top_up_id IS NULL)", name="pays_one_order_or_top_up"
        ),
    )


class Refund(MerchantScoped, Base):
    """Money given back through the provider of a payment."""

    __tablename__ = "refund"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payment_id: Mapped[uuid.UUID]
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
    provider_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "order_id"], ["sales_order.merchant_id", "sales_order.id"]
        ),
        ForeignKeyConstraint(["merchant_id", "payment_id"], ["payment.merchant_id", "payment.id"]),
        Index(None, "merchant_id", "order_id", "created_at"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class PaymentCredential(MerchantScoped, Base):
    """A merchant's secret for one provider (verifies that provider's callbacks)."""

    __tablename__ = "payment_credential"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxCallback(MerchantScoped, Base):
    """The sandbox's outbox: a simulated customer outcome waiting to be called back."""

    __tablename__ = "sandbox_callback"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    payment_id: Mapped[uuid.UUID]
    outcome: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "payment_id"], ["payment.merchant_id", "payment.id"]),
        UniqueConstraint("merchant_id", "payment_id"),
        Index(None, "merchant_id", "delivered_at", "next_attempt_at"),
    )
