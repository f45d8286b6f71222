"""Loyalty tables: the program, each member's account (cached balances and tier), the
append-only points, wallet and spend ledgers, points lots (for expiry) and top-ups.

Balances on ``loyalty_account`` are a cache of the ledgers, changed only in the same
transaction as the entry that explains them, by conditional updates that cannot take them
below zero; ``omniloop check`` recomputes them from the entries.
"""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow

_MEMBER_FK = (["merchant_id", "member_id"], ["member.merchant_id", "member.id"])


class LoyaltyProgram(MerchantScoped, Base):
    """The merchant's program (earn rates, tiers, expiry, tenders, top-up bonuses) as a
    validated document; one row per merchant, versioned on every change."""

    __tablename__ = "loyalty_program"

    config: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),)


class LoyaltyAccount(MerchantScoped, Base):
    """A member's balances (cached from the ledgers) and current tier."""

    __tablename__ = "loyalty_account"

    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    points_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    wallet_principal: Mapped[int] = mapped_column(BigInteger, default=0)
    wallet_bonus: Mapped[int] = mapped_column(BigInteger, default=0)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    tier_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(*_MEMBER_FK),
        Index(None, "merchant_id", "tier"),
        CheckConstraint("points_balance >= 0", name="points_not_negative"),
        CheckConstraint("wallet_principal >= 0", name="wallet_principal_not_negative"),
        CheckConstraint("wallet_bonus >= 0", name="wallet_bonus_not_negative"),
    )


class PointsEntry(MerchantScoped, Base):
    """One movement of a member's points (append-only). ``points`` is signed."""

    __tablename__ = "points_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(*_MEMBER_FK),
        Index(None, "merchant_id", "member_id", "created_at"),
        Index(None, "merchant_id", "order_id"),
    )


class PointsLot(MerchantScoped, Base):
    """Points earned together and expiring together; spending takes the soonest-expiring
    lots first. ``remaining`` is what is left of the lot."""

    __tablename__ = "points_lot"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    entry_id: Mapped[uuid.UUID]
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(*_MEMBER_FK),
        Index(None, "merchant_id", "member_id", "expires_at"),
        Index(None, "merchant_id", "expires_at"),
        CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_in_lot"),
    )


class WalletEntry(MerchantScoped, Base):
    """One movement of a member's stored value (append-only), split into the principal the
    customer paid and the bonus the merchant gave; both signed, in minor units."""

    __tablename__ = "wallet_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    principal: Mapped[int] = mapped_column(BigInteger)
    bonus: Mapped[int] = mapped_column(BigInteger)
    principal_after: Mapped[int] = mapped_column(BigInteger)
    bonus_after: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    top_up_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(*_MEMBER_FK),
        Index(None, "merchant_id", "member_id", "created_at"),
        Index(None, "merchant_id", "order_id"),
    )


class SpendEntry(MerchantScoped, Base):
    """Net money a member spent (paid, minus refunds), dated: tiers look at a rolling
    window of these. Append-only; ``amount`` is signed."""

    __tablename__ = "spend_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(*_MEMBER_FK),
        Index(None, "merchant_id", "member_id", "created_at"),
        Index(None, "merchant_id", "created_at"),
    )


class TopUp(MerchantScoped, Base):
    """A stored-value purchase (储值充值): ``amount`` paid through a provider, ``bonus``
    added by the merchant's rule once paid."""

    __tablename__ = "top_up"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    amount: Mapped[int] = mapped_column(BigInteger)
    bonus: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24))
    rule: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        ForeignKeyConstraint(*_MEMBER_FK),
        Index(None, "merchant_id", "member_id", "created_at"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("bonus >= 0", name="bonus_not_negative"),
    )
