"""Order tables: the order, its lines and its transition history (append-only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
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


class Order(MerchantScoped, Base):
    """One order from any channel. Money is in minor units of ``currency``."""

    __tablename__ = "sales_order"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(24))
    payment_status: Mapped[str] = mapped_column(String(24))
    fulfillment_type: Mapped[str] = mapped_column(String(12))
    location_code: Mapped[str | None] = mapped_column(String(64), default=None)
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    customer_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    customer_name: Mapped[str | None] = mapped_column(String(100), default=None)
    fulfillment: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    tracking_code: Mapped[str | None] = mapped_column(String(64), default=None)
    visitor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    attribution: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    """How the order was attributed: ``{"rule": "explicit"|"last_touch"|"first_touch",
    "tracking_code", "campaign_id", "exposed_at"}``."""
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    paid_total: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_total: Mapped[int] = mapped_column(BigInteger, default=0)
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    routing: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    allocations: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    pickup_code: Mapped[str | None] = mapped_column(String(16), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        UniqueConstraint("merchant_id", "number"),
        UniqueConstraint("merchant_id", "channel", "external_id"),
        UniqueConstraint("merchant_id", "location_code", "pickup_code"),
        Index(None, "merchant_id", "location_code", "status", "created_at"),
        Index(None, "merchant_id", "status", "expires_at"),
        Index(None, "merchant_id", "created_at", "id"),
        Index(None, "merchant_id", "member_id", "created_at"),
        Index(None, "merchant_id", "campaign_id", "created_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("refunded_total <= paid_total", name="refunds_within_paid"),
    )


class OrderLine(MerchantScoped, Base):
    __tablename__ = "order_line"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    qty: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    location_code: Mapped[str | None] = mapped_column(String(64), default=None)
    price_rule: Mapped[str] = mapped_column(String(24), default="base")
    refunded_qty: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "order_id"], ["sales_order.merchant_id", "sales_order.id"]
        ),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("refunded_qty <= qty", name="refunds_within_qty"),
    )


class OrderTransition(MerchantScoped, Base):
    """Every status change: who, when, why. Append-only."""

    __tablename__ = "order_transition"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID]
    from_status: Mapped[str | None] = mapped_column(String(24), default=None)
    to_status: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "order_id"], ["sales_order.merchant_id", "sales_order.id"]
        ),
        Index(None, "merchant_id", "order_id", "created_at"),
    )


class OrderTender(MerchantScoped, Base):
    """How part of an order was paid: ``points`` and ``wallet`` from the member's ledgers,
    ``provider`` through a payment provider, ``external`` outside Omniloop (cash at a POS,
    a platform's settlement). Refunds go back to the tender they came from."""

    __tablename__ = "order_tender"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tender_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_points: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "order_id"], ["sales_order.merchant_id", "sales_order.id"]
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_amount <= amount", name="refunds_within_amount"),
        CheckConstraint("refunded_points <= points", name="refunds_within_points"),
    )
