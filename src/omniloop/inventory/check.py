"""Ledger checks: for every stock level, ``on_hand`` equals the sum of its ledger and
``reserved`` equals its active reservation lines. Set-based: two grouped queries, not a loop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from omniloop.db import UnitOfWork
from omniloop.inventory.domain import ReservationStatus
from omniloop.inventory.models import Reservation, ReservationLine, StockLevel, StockMovement


@dataclass(frozen=True)
class StockDiscrepancy:
    merchant_id: uuid.UUID
    location: str
    sku: str
    field: str
    recorded: int
    derived: int

    def describe(self) -> str:
        return (
            f"merchant {self.merchant_id} {self.location}/{self.sku}: {self.field} is "
            f"{self.recorded} but its ledger says {self.derived}"
        )


async def check_stock(
    *, uow: UnitOfWork, merchant_id: uuid.UUID | None = None
) -> tuple[int, list[StockDiscrepancy]]:
    """Compare every stock level with its ledger; returns (rows checked, discrepancies)."""
    ledger = (
        select(
            StockMovement.merchant_id,
            StockMovement.location_code,
            StockMovement.sku,
            func.sum(StockMovement.delta).label("total"),
        )
        .group_by(StockMovement.merchant_id, StockMovement.location_code, StockMovement.sku)
        .subquery()
    )
    held = (
        select(
            Reservation.merchant_id,
            Reservation.location_code,
            ReservationLine.sku,
            func.sum(ReservationLine.qty).label("total"),
        )
        .join(
            ReservationLine,
            (ReservationLine.merchant_id == Reservation.merchant_id)
            & (ReservationLine.reservation_id == Reservation.id),
        )
        .where(Reservation.status == ReservationStatus.ACTIVE.value)
        .group_by(Reservation.merchant_id, Reservation.location_code, ReservationLine.sku)
        .subquery()
    )
    query = (
        select(
            StockLevel.merchant_id,
            StockLevel.location_code,
            StockLevel.sku,
            StockLevel.on_hand,
            StockLevel.reserved,
            func.coalesce(ledger.c.total, 0),
            func.coalesce(held.c.total, 0),
        )
        .outerjoin(
            ledger,
            (ledger.c.merchant_id == StockLevel.merchant_id)
            & (ledger.c.location_code == StockLevel.location_code)
            & (ledger.c.sku == StockLevel.sku),
        )
        .outerjoin(
            held,
            (held.c.merchant_id == StockLevel.merchant_id)
            & (held.c.location_code == StockLevel.location_code)
            & (held.c.sku == StockLevel.sku),
        )
    )
    if merchant_id is not None:
        query = query.where(StockLevel.merchant_id == merchant_id)
    found: list[StockDiscrepancy] = []
    checked = 0
    async with uow.read_only():
        for m, location, sku, on_hand, reserved, ledger_sum, held_sum in await uow.session.execute(
            query
        ):
            checked += 1
            if on_hand != ledger_sum:
                found.append(StockDiscrepancy(m, location, sku, "on_hand", on_hand, ledger_sum))
            if reserved != held_sum:
                found.append(StockDiscrepancy(m, location, sku, "reserved", reserved, held_sum))
    return checked, found
