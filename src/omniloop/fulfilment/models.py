"""Fulfilment tables: the log of every redemption attempt (append-only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, MerchantScoped
from omniloop.shared.clock import utcnow


class RedemptionAttempt(MerchantScoped, Base):
    """One code presented at a location, whatever came of it. The lockout counts the recent
    ``wrong_code`` rows of a location, so it holds across processes."""

    __tablename__ = "redemption_attempt"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(16), default=None)
    code_hint: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "location_code", "outcome", "created_at"),
    )
