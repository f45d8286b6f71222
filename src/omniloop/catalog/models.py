"""Catalog tables: products, their SKUs, and price overrides."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniloop.db import Base, MerchantScoped
from omniloop.shared.clock import utcnow


class Product(MerchantScoped, Base):
    __tablename__ = "product"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    image_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Loaded explicitly (selectinload) where needed: lazy loads cannot run in async code.
    skus: Mapped[list[Sku]] = relationship(order_by="Sku.sku", lazy="raise")

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "category"),
        Index(None, "merchant_id", "created_at", "id"),
    )


class Sku(MerchantScoped, Base):
    """A sellable variant, identified by the merchant's own SKU code."""

    __tablename__ = "sku"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    price_overrides: Mapped[list[PriceOverride]] = relationship(
        order_by="PriceOverride.position", lazy="raise", cascade="all, delete-orphan"
    )

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "product_id"], ["product.merchant_id", "product.id"]),
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index(None, "merchant_id", "product_id"),
    )


class PriceOverride(MerchantScoped, Base):
    """A SKU's price for a channel, a location or both, optionally within a time window.

    Resolution (which override wins) is :func:`omniloop.catalog.domain.resolve_price`.
    """

    __tablename__ = "price_override"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str | None] = mapped_column(String(40), default=None)
    location_code: Mapped[str | None] = mapped_column(String(64), default=None)
    price: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "sku"], ["sku.merchant_id", "sku.sku"]),
        ForeignKeyConstraint(
            ["merchant_id", "location_code"], ["location.merchant_id", "location.code"]
        ),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint(
            "channel IS NOT NULL OR location_code IS NOT NULL", name="has_channel_or_location"
        ),
        Index(None, "merchant_id", "sku"),
        Index(None, "merchant_id", "location_code"),
    )
