"""Affiliate tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class Affiliate(MerchantScoped, Base):
    """Someone who brings customers through their own tracking codes, for a commission."""

    __tablename__ = "affiliate"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str | None] = mapped_column(String(200), default=None)
    default_rate_bp: Mapped[int] = mapped_column(Integer)
    category_rates_bp: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "created_at", "id"),
        CheckConstraint("default_rate_bp >= 0 AND default_rate_bp <= 10000", name="rate_in_range"),
    )
