"""Referral tables: the merchant's rule, each member's code and who referred whom."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow

_MEMBER = ["member.merchant_id", "member.id"]


class ReferralProgram(MerchantScoped, Base):
    """The merchant's referral rule: what the referrer and the new member get once the new
    member's first order completes. One row per merchant, versioned on every change."""

    __tablename__ = "referral_program"

    enabled: Mapped[bool] = mapped_column(Boolean)
    referrer_reward: Mapped[dict[str, Any]] = mapped_column(JsonType)
    referee_reward: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),)


class ReferralCode(MerchantScoped, Base):
    """A member's referral code: made on first ask, never changed."""

    __tablename__ = "referral_code"

    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "member_id"], _MEMBER),
        UniqueConstraint("merchant_id", "code"),
    )


class Referral(MerchantScoped, Base):
    """``referrer_id`` brought ``referee_id`` in (a member is referred at most once).
    ``rewarded_at`` is set, exactly once, when the referee's first order completes."""

    __tablename__ = "referral"

    referee_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    referrer_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rewarded_at: Mapped[datetime | None] = mapped_column(default=None)
    reward_order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    rewards: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "referee_id"], _MEMBER, name="fk_referral_referee"),
        ForeignKeyConstraint(["merchant_id", "referrer_id"], _MEMBER, name="fk_referral_referrer"),
        Index(None, "merchant_id", "referrer_id", "created_at"),
    )
