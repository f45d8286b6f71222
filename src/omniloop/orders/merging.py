"""When two members merge, the absorbed record's orders become the survivor's."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.orders.models import Order


async def merge_orders_in(
    session: AsyncSession, merchant_id: uuid.UUID, survivor_id: uuid.UUID, absorbed_id: uuid.UUID
) -> None:
    """Re-point the absorbed member's orders to the survivor (in the merge's transaction)."""
    await session.execute(
        update(Order)
        .where(Order.merchant_id == merchant_id, Order.member_id == absorbed_id)
        .values(member_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
