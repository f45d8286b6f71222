"""Inventory use cases."""

from __future__ import annotations

from omniloop.db import UnitOfWork


async def expire_reservations(*, uow: UnitOfWork) -> int:
    return 0
