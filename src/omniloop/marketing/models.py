"""Marketing tables: campaigns, their tracking codes, exposures, and visitors linked to members."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class Campaign(MerchantScoped, Base):
    """A marketing campaign: what it cost, when it runs, which orders it may be credited with."""

    __tablename__ = "campaign"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="campaign")
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    channels: Mapped[list[str]] = mapped_column(JsonType, default=list)
    """Order channels the campaign may be credited with; empty: all."""
    locations: Mapped[list[str]] = mapped_column(JsonType, default=list)
    """Fulfilling locations the campaign may be credited with; empty: all."""
    attribution_window_days: Mapped[int] = mapped_column(Integer, default=7)
    attribution_model: Mapped[str] = mapped_column(String(16), default="last_touch")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "created_at", "id"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class TrackingCode(MerchantScoped, Base):
    """A short code on a poster, link or QR code; ``GET /t/{code}`` records an exposure and
    lands the visitor on ``landing``. Never changed once issued (it is printed)."""

    __tablename__ = "tracking_code"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    campaign_id: Mapped[uuid.UUID]
    medium: Mapped[str] = mapped_column(String(16))
    location_code: Mapped[str | None] = mapped_column(String(64), default=None)
    landing_type: Mapped[str] = mapped_column(String(16))
    landing_value: Mapped[str] = mapped_column(String(2000))
    affiliate_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """The affiliate who owns the code (分销), when one does."""
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "campaign_id"], ["campaign.merchant_id", "campaign.id"]
        ),
        Index(None, "merchant_id", "campaign_id", "created_at"),
        Index(None, "merchant_id", "affiliate_id"),
    )


class TrackingCodeLookup(Base):
    """Routes a public tracking code to its merchant.

    Like ``api_key_lookup``, a small reference table not distributed by merchant: a visitor
    opening ``/t/{code}`` names no merchant, so this table (replicated to every node in a
    sharded deployment) maps code -> merchant, and keeps codes unique across merchants. It
    holds no business data.
    """

    __tablename__ = "tracking_code_lookup"
    __table_args__ = {"info": {"reference_table": True}}

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid())


class Exposure(MerchantScoped, Base):
    """One opening of a tracking code (append-only). Bots and openings outside the
    campaign's dates are kept but never counted."""

    __tablename__ = "campaign_exposure"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[uuid.UUID]
    visitor_id: Mapped[str] = mapped_column(String(64))
    exposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(500), default=None)
    referer: Mapped[str | None] = mapped_column(String(500), default=None)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    outside_window: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "code"], ["tracking_code.merchant_id", "tracking_code.code"]
        ),
        Index(None, "merchant_id", "visitor_id", "exposed_at"),
        Index(None, "merchant_id", "campaign_id", "exposed_at"),
    )


class VisitorLink(MerchantScoped, Base):
    """A visitor (browser cookie) who became known as a member: the first link wins."""

    __tablename__ = "visitor_link"

    visitor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[uuid.UUID]
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "member_id"], ["member.merchant_id", "member.id"]),
        Index(None, "merchant_id", "member_id"),
    )
