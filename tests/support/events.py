"""Reading a tenant's outbox in tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from omniloop.events import OutboxEvent


async def events_of(db: Any, tenant: Any, type_: str) -> list[dict[str, Any]]:
    """Data of the tenant's outbox events of one type, oldest first."""
    async with db.uow().read_only() as uow:
        rows = await uow.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.merchant_id == tenant.merchant_id, OutboxEvent.type == type_)
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
        )
        return [row.data for row in rows]
