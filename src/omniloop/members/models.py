"""Member tables: the member (one per phone per merchant) and its activity history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class Member(MerchantScoped, Base):
    """A customer of one merchant, keyed by an E.164 phone. A merged member keeps its row
    (status ``merged``, ``merged_into`` the survivor) so its phone still finds the survivor."""

    __tablename__ = "member"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(12), default="active")
    merged_into: Mapped[uuid.UUID | None] = mapped_column(default=None)
    acquired_channel: Mapped[str | None] = mapped_column(String(40), default=None)
    acquired_location: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        UniqueConstraint("merchant_id", "phone"),
        Index(None, "merchant_id", "created_at", "id"),
        Index(None, "merchant_id", "acquired_location", "created_at"),
    )


class MemberActivity(MerchantScoped, Base):
    """Something the member did, where and through which channel (append-only): joined,
    signed in, paid an order, was scanned at a store, absorbed another record."""

    __tablename__ = "member_activity"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    member_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(40), default=None)
    location_code: Mapped[str | None] = mapped_column(String(64), default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "member_id"], ["member.merchant_id", "member.id"]),
        Index(None, "merchant_id", "member_id", "created_at"),
    )
