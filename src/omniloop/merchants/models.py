"""Merchant and API-key tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class Merchant(Base):
    """A tenant: one chain. Its id is the distribution key of every business table."""

    __tablename__ = "merchant"

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(MerchantScoped, Base):
    """A key's role and scope; the secret itself is never stored, only its hash."""

    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    locations: Mapped[list[str]] = mapped_column(JsonType, default=list)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    key_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),)


class ApiKeyLookup(Base):
    """Routes a presented key's hash to its merchant.

    The one table not distributed by merchant: a bearer token arrives before we know the
    merchant, so this small reference table (replicated to every node in a sharded
    deployment) maps hash -> (merchant, key). It holds no business data.
    """

    __tablename__ = "api_key_lookup"
    __table_args__ = {"info": {"reference_table": True}}

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid())
