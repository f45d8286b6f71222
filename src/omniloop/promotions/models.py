"""Promotion tables: coupon templates, the coupons given out, and automatic promotions."""

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
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class CouponTemplate(MerchantScoped, Base):
    """What a coupon gives and who may get it. ``issued`` counts the coupons given out; it
    only grows by a conditional UPDATE (``issued + n <= total_quota``), so concurrent grants
    never exceed the quota."""

    __tablename__ = "coupon_template"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    percent: Mapped[int | None] = mapped_column(default=None)
    cap: Mapped[int | None] = mapped_column(BigInteger, default=None)
    threshold: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sku: Mapped[str | None] = mapped_column(String(64), default=None)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    days_after_grant: Mapped[int | None] = mapped_column(default=None)
    skus: Mapped[list[str]] = mapped_column(JsonType, default=list)
    categories: Mapped[list[str]] = mapped_column(JsonType, default=list)
    channels: Mapped[list[str]] = mapped_column(JsonType, default=list)
    locations: Mapped[list[str]] = mapped_column(JsonType, default=list)
    min_spend: Mapped[int] = mapped_column(BigInteger, default=0)
    per_member_limit: Mapped[int | None] = mapped_column(default=None)
    total_quota: Mapped[int | None] = mapped_column(default=None)
    issued: Mapped[int] = mapped_column(default=0)
    refund_policy: Mapped[str] = mapped_column(String(32), default="forfeit")
    stackable: Mapped[bool] = mapped_column(Boolean, default=False)
    claimable: Mapped[bool] = mapped_column(Boolean, default=False)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        CheckConstraint("total_quota IS NULL OR issued <= total_quota", name="issued_within_quota"),
        CheckConstraint("issued >= 0", name="issued_not_negative"),
        Index(None, "merchant_id", "created_at", "id"),
        Index(None, "merchant_id", "campaign_id"),
    )


class Coupon(MerchantScoped, Base):
    """One coupon given to one member: ``available`` → ``held`` by an unpaid order → ``used``
    when it is paid (or back to ``available`` when it is cancelled)."""

    __tablename__ = "coupon"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    template_id: Mapped[uuid.UUID]
    member_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="available")
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    granted_via: Mapped[str] = mapped_column(String(12))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    held_at: Mapped[datetime | None] = mapped_column(default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "template_id"], ["coupon_template.merchant_id", "coupon_template.id"]
        ),
        ForeignKeyConstraint(["merchant_id", "member_id"], ["member.merchant_id", "member.id"]),
        UniqueConstraint("merchant_id", "code"),
        Index(None, "merchant_id", "member_id", "granted_at", "id"),
        Index(None, "merchant_id", "template_id", "member_id"),
        Index(None, "merchant_id", "order_id"),
    )


class Promotion(MerchantScoped, Base):
    """An automatic promotion (no code): 满减 tiers, percent off a SKU set, a tier's price."""

    __tablename__ = "promotion"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    tiers: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType, default=None)
    percent: Mapped[int | None] = mapped_column(default=None)
    tier_code: Mapped[str | None] = mapped_column(String(40), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    skus: Mapped[list[str]] = mapped_column(JsonType, default=list)
    categories: Mapped[list[str]] = mapped_column(JsonType, default=list)
    channels: Mapped[list[str]] = mapped_column(JsonType, default=list)
    locations: Mapped[list[str]] = mapped_column(JsonType, default=list)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    priority: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "active", "ends_at"),
        Index(None, "merchant_id", "created_at", "id"),
    )
