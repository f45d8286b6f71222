"""Channel tables: a merchant's platform connections and every push they received."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow


class ChannelConnection(MerchantScoped, Base):
    """A platform account pushing orders to one URL.

    ``secret`` (and Ele.me's ``access_token``) are kept in clear because verifying and
    signing need them; the API never returns them. ``public_url`` is the URL as registered
    with the platform: signatures are checked against it, not against what the server sees
    behind its proxies. ``order_channel`` is the channel the orders carry (``meituan``,
    ``eleme``, or a slug of the merchant's choosing for generic connections).
    """

    __tablename__ = "channel_connection"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    order_channel: Mapped[str] = mapped_column(String(40))
    secret: Mapped[str] = mapped_column(String(200))
    app_id: Mapped[str | None] = mapped_column(String(100), default=None)
    public_url: Mapped[str] = mapped_column(String(2048))
    api_base_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    access_token: Mapped[str | None] = mapped_column(String(500), default=None)
    store_map: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    sku_map: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchant.merchant_id"]),
        UniqueConstraint("merchant_id", "name"),
        Index(None, "merchant_id", "created_at", "id"),
        Index(None, "merchant_id", "order_channel"),
    )


class ChannelPush(MerchantScoped, Base):
    """One authenticated push (or a throttled record of refused ones) and what became of it.

    ``payload`` holds the decoded fields the signature covered (never for refused pushes):
    a held push is re-parsed from it when it is retried after the maps are fixed.
    """

    __tablename__ = "channel_push"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    connection_id: Mapped[uuid.UUID]
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["merchant_id", "connection_id"],
            ["channel_connection.merchant_id", "channel_connection.id"],
        ),
        # The review queue of one connection, and the refused-push throttle.
        Index(None, "merchant_id", "connection_id", "status", "created_at"),
        # The review queue across connections.
        Index(None, "merchant_id", "status", "created_at"),
        # Every push about one platform order (follow-ups, outbound calls).
        Index(None, "merchant_id", "connection_id", "external_id"),
        Index(None, "merchant_id", "created_at", "id"),
    )


class PlatformNotification(MerchantScoped, Base):
    """One call owed to a platform about one of its orders."""

    __tablename__ = "platform_notification"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the outbox event's id
    channel: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index(None, "merchant_id", "status", "next_attempt_at"),)
