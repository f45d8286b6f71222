"""Location use cases."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from omniloop.db import UnitOfWork
from omniloop.locations.models import Location


async def existing_codes(*, uow: UnitOfWork, merchant_id: uuid.UUID, codes: set[str]) -> set[str]:
    """Which of ``codes`` are locations of the merchant."""
    if not codes:
        return set()
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(Location.code).where(
                Location.merchant_id == merchant_id, Location.code.in_(sorted(codes))
            )
        )
        return set(rows)
