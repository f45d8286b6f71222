"""Voucher tables: products, the vouchers sold, and the ledger of their redemptions.

For the campaign report: ``voucher.campaign_id`` is the product's campaign when the voucher
was sold, copied again on each ``voucher_redemption`` row, so counting a campaign's
redemptions in stores (and the money they consumed, ``paid_share``) reads one table.
"""

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


class VoucherProduct(MerchantScoped, Base):
    """What selling one unit of a catalog SKU issues: one voucher of these terms."""

    __tablename__ = "voucher_product"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    face_value: Mapped[int] = mapped_column(BigInteger)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    validity_days: Mapped[int | None] = mapped_column(Integer, default=None)
    valid_until: Mapped[datetime | None] = mapped_column(default=None)
    partial_redemption: Mapped[bool] = mapped_column(Boolean, default=False)
    locations: Mapped[list[str]] = mapped_column(JsonType, default=list)
    """Location codes where its vouchers are redeemed; empty for every store."""
    refund_policy: Mapped[str] = mapped_column(String(24))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "sku"], ["sku.merchant_id", "sku.sku"]),
        UniqueConstraint("merchant_id", "sku"),
        Index(None, "merchant_id", "created_at", "id"),
        CheckConstraint("face_value > 0", name="face_value_positive"),
    )


class Voucher(MerchantScoped, Base):
    """One unit of a voucher SKU sold on an order, with a copy of its product's terms.

    The code is never stored in clear (see :mod:`omniloop.vouchers.domain`); ``balance`` is
    the face value not yet redeemed, and only ever falls."""

    __tablename__ = "voucher"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID]
    order_id: Mapped[uuid.UUID]
    sku: Mapped[str] = mapped_column(String(64))
    unit_no: Mapped[int] = mapped_column(Integer)
    """Which unit of the order's SKU this is (1..qty): the order issues each unit once."""
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    code_digest: Mapped[str] = mapped_column(String(64))
    code_last4: Mapped[str] = mapped_column(String(4))
    code_sealed: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    face_value: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int] = mapped_column(BigInteger)
    """What the customer paid for this unit, net of the order's discounts."""
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    partial_redemption: Mapped[bool] = mapped_column(Boolean, default=False)
    locations: Mapped[list[str]] = mapped_column(JsonType, default=list)
    refund_policy: Mapped[str] = mapped_column(String(24))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    valid_until: Mapped[datetime]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    void_reason: Mapped[str | None] = mapped_column(String(100), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "product_id"], ["voucher_product.merchant_id", "voucher_product.id"]
        ),
        ForeignKeyConstraint(
            ["merchant_id", "order_id"], ["sales_order.merchant_id", "sales_order.id"]
        ),
        UniqueConstraint("merchant_id", "code_digest"),
        UniqueConstraint("merchant_id", "order_id", "sku", "unit_no"),
        Index(None, "merchant_id", "member_id", "issued_at"),
        Index(None, "merchant_id", "issued_at", "id"),
        Index(None, "merchant_id", "campaign_id"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("balance <= face_value", name="balance_within_face_value"),
        CheckConstraint("paid_amount >= 0", name="paid_amount_not_negative"),
    )


class VoucherRedemption(MerchantScoped, Base):
    """One redemption of a voucher at a store: append-only, the balance's history."""

    __tablename__ = "voucher_redemption"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    voucher_id: Mapped[uuid.UUID]
    order_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    location_code: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    """Face value redeemed (the whole face value for a set meal)."""
    paid_share: Mapped[int] = mapped_column(BigInteger)
    """The part of what the customer paid that this redemption consumes (revenue earned)."""
    balance_after: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "voucher_id"], ["voucher.merchant_id", "voucher.id"]),
        ForeignKeyConstraint(
            ["merchant_id", "location_code"], ["location.merchant_id", "location.code"]
        ),
        Index(None, "merchant_id", "voucher_id", "created_at"),
        Index(None, "merchant_id", "campaign_id", "created_at"),
        Index(None, "merchant_id", "location_code", "created_at"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    )
