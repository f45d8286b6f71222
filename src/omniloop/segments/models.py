"""Segment tables: each buyer's RFM as last computed, saved segments and the coupon grants
made to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class MemberRfm(MerchantScoped, Base):
    """A buyer's recency, frequency and net spend, and their 1-5 scores among the
    merchant's buyers, as of ``computed_at`` (rewritten whole by each computation)."""

    __tablename__ = "member_rfm"

    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary: Mapped[int] = mapped_column(BigInteger)
    last_order_at: Mapped[datetime]
    r_score: Mapped[int] = mapped_column(SmallInteger)
    f_score: Mapped[int] = mapped_column(SmallInteger)
    m_score: Mapped[int] = mapped_column(SmallInteger)
    computed_at: Mapped[datetime]

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "member_id"], ["member.merchant_id", "member.id"]),
        Index(None, "merchant_id", "r_score", "f_score", "m_score"),
    )


class Segment(MerchantScoped, Base):
    """A saved set of filters over the merchant's members (evaluated when read)."""

    __tablename__ = "segment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        UniqueConstraint("merchant_id", "name"),
        Index(None, "merchant_id", "created_at", "id"),
    )


class SegmentGrant(MerchantScoped, Base):
    """Coupons of one template granted to a segment's members: a campaign of its own. The
    filters are kept as they were, since the segment may change or go."""

    __tablename__ = "segment_grant"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    segment_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID]
    template_id: Mapped[uuid.UUID]
    filters: Mapped[dict[str, Any]] = mapped_column(JsonType)
    members: Mapped[int] = mapped_column(Integer)
    granted: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "segment_id", "created_at"),
    )
