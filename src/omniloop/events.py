"""The transactional outbox.

A state change and its event are written in the same transaction: :func:`record_event`
adds an :class:`OutboxEvent` row to the caller's session and the caller's commit makes both
durable together. Delivery (webhooks, later an event stream) reads the outbox after commit,
so an event committed before a crash is still delivered after restart.

Event type strings are past tense, ``<aggregate>.<what happened>``: ``location.created``,
``inventory.adjusted``, ``inventory.reserved``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id


class OutboxEvent(MerchantScoped, Base):
    """One event, written with the change it describes; append-only."""

    __tablename__ = "outbox_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(80))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        # Small (pending rows only): what the fan-out and the lag metric scan.
        Index(
            "ix_outbox_event_undispatched",
            "merchant_id",
            "created_at",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
        Index(None, "merchant_id", "created_at", "id"),
        Index(None, "merchant_id", "type", "created_at"),
    )

    def envelope(self) -> dict[str, Any]:
        """The JSON body subscribers receive."""
        return {
            "id": str(self.id),
            "type": self.type,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "merchant_id": str(self.merchant_id),
            "data": self.data,
        }


def record_event(
    session: AsyncSession, *, merchant_id: uuid.UUID, type: str, data: dict[str, Any]
) -> OutboxEvent:
    """Add an event to the current transaction; it is durable exactly when the change is."""
    event = OutboxEvent(id=new_id(), merchant_id=merchant_id, type=type, data=data)
    session.add(event)
    return event


InternalHandler = Callable[[AsyncSession, OutboxEvent], Awaitable[None]]
"""Reacts to an event inside the fan-out transaction that dispatches it (exactly once)."""


class InternalSubscribers:
    """Domains above the one that records an event subscribe here instead of being imported
    by it (e.g. channels tell platforms about ``order.accepted``). Registered explicitly by
    the app factory, never at import time."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[InternalHandler]] = {}

    def subscribe(self, event_type: str, handler: InternalHandler) -> None:
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

    async def dispatch(self, session: AsyncSession, event: OutboxEvent) -> None:
        for handler in self._handlers.get(event.type, ()):
            await handler(session, event)


internal_subscribers = InternalSubscribers()
