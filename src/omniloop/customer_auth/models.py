"""Sign-in tables: one-time code challenges, the per-phone lock, the sandbox SMS outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class OtpPhone(MerchantScoped, Base):
    """One row per phone that asked for a code: locked while a code is sent or checked, so
    two requests at once cannot both slip under the sending limit."""

    __tablename__ = "otp_phone"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),)


class OtpChallenge(MerchantScoped, Base):
    """A code sent to a phone. Only its HMAC is kept; the sending limit counts these rows."""

    __tablename__ = "otp_challenge"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    code_digest: Mapped[str] = mapped_column(String(64))
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """The member the code signed in (set when consumed)."""
    requested_by: Mapped[str | None] = mapped_column(String(64), default=None)
    """The client address that asked for the code (the per-client sending limit)."""

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "phone"], ["otp_phone.merchant_id", "otp_phone.phone"]
        ),
        Index(None, "merchant_id", "phone", "created_at"),
        Index(None, "merchant_id", "requested_by", "created_at"),
    )


class SandboxSms(MerchantScoped, Base):
    """A message the sandbox sender "sent" (development and tests only; append-only)."""

    __tablename__ = "sandbox_sms"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        Index(None, "merchant_id", "phone", "created_at"),
    )
