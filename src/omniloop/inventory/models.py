"""Inventory tables: stock per (location, SKU), the append-only stock ledger, reservations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, MerchantScoped
from omniloop.shared.clock import utcnow


class StockLevel(MerchantScoped, Base):
    """What one location holds of one SKU. ``available = on_hand - reserved - safety_stock``.

    ``on_hand`` always equals the sum of the row's ledger entries and ``reserved`` the sum of
    its active reservation lines; both are checked by ``omniloop check``.
    """

    __tablename__ = "stock_level"

    location_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    safety_stock: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "location_code"], ["location.merchant_id", "location.code"]
        ),
        ForeignKeyConstraint(["merchant_id", "sku"], ["sku.merchant_id", "sku.sku"]),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
        Index(None, "merchant_id", "sku"),
    )


class StockMovement(MerchantScoped, Base):
    """One change of ``on_hand``; append-only, never updated or deleted."""

    __tablename__ = "stock_movement"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location_code: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    delta: Mapped[int] = mapped_column(BigInteger)
    on_hand_after: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(200), default=None)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "location_code", "sku"],
            ["stock_level.merchant_id", "stock_level.location_code", "stock_level.sku"],
        ),
        Index(None, "merchant_id", "location_code", "sku", "created_at"),
    )


class Reservation(MerchantScoped, Base):
    """Units held for an order or a cart at one location until committed, released or
    expired."""

    __tablename__ = "reservation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str | None] = mapped_column(String(200), default=None)
    actor: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "location_code"], ["location.merchant_id", "location.code"]
        ),
        Index(None, "merchant_id", "status", "expires_at"),
        Index(None, "merchant_id", "reference"),
    )


class ReservationLine(MerchantScoped, Base):
    __tablename__ = "reservation_line"

    reservation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "reservation_id"], ["reservation.merchant_id", "reservation.id"]
        ),
        CheckConstraint("qty > 0", name="qty_positive"),
    )
