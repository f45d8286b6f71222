"""Inventory use cases: counts, adjustments, reservations and the ledger check.

Every change of a stock level is a single conditional ``UPDATE`` whose ``WHERE`` states the
rule (enough available, ``on_hand`` not below ``reserved``). The database applies it
atomically on both dialects: PostgreSQL re-checks the condition after waiting for a row lock,
SQLite runs write transactions one at a time (``BEGIN IMMEDIATE``). So no two requests can
promise the same unit, whatever the number of processes.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.models import Sku
from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.idempotency import Outcome, run_once
from omniloop.inventory.domain import (
    AdjustmentReason,
    available,
    count_delta,
)
from omniloop.inventory.errors import (
    StockNotFound,
    StockReserved,
    unknown_location,
    unknown_skus,
)
from omniloop.inventory.models import StockLevel, StockMovement
from omniloop.inventory.schemas import MovementOut, StockOut
from omniloop.locations.models import Location
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.shared.pagination import decode_cursor, encode_cursor

# --------------------------------------------------------------------------- helpers


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _location(session: AsyncSession, merchant_id: uuid.UUID, code: str) -> Location:
    location = await session.get(Location, (merchant_id, code))
    if location is None:
        raise unknown_location(code)
    return location


async def _require_skus(session: AsyncSession, merchant_id: uuid.UUID, skus: list[str]) -> None:
    found = set(
        await session.scalars(
            select(Sku.sku).where(Sku.merchant_id == merchant_id, Sku.sku.in_(skus))
        )
    )
    missing = sorted(set(skus) - found)
    if missing:
        raise unknown_skus(missing)


async def _ensure_row(
    session: AsyncSession, merchant_id: uuid.UUID, location: str, sku: str
) -> None:
    values = {
        "merchant_id": merchant_id,
        "location_code": location,
        "sku": sku,
        "on_hand": 0,
        "reserved": 0,
        "safety_stock": 0,
        "updated_at": utcnow(),
    }
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    await session.execute(insert(StockLevel).values(**values).on_conflict_do_nothing())


def _row_key(merchant_id: uuid.UUID, location: str, sku: str) -> Any:
    return and_(
        StockLevel.merchant_id == merchant_id,
        StockLevel.location_code == location,
        StockLevel.sku == sku,
    )


def _movement(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    location: str,
    sku: str,
    delta: int,
    on_hand_after: int,
    reason: str,
    reference: str | None,
    actor: str,
) -> StockMovement:
    movement = StockMovement(
        id=new_id(),
        merchant_id=merchant_id,
        location_code=location,
        sku=sku,
        delta=delta,
        on_hand_after=on_hand_after,
        reason=reason,
        reference=reference,
        actor=actor,
        created_at=utcnow(),
    )
    session.add(movement)
    return movement


def _stock_event(
    stock: StockLevel, *, delta: int, reason: str, reference: str | None
) -> dict[str, Any]:
    return {
        "location": stock.location_code,
        "sku": stock.sku,
        "delta": delta,
        "reason": reason,
        "reference": reference,
        "on_hand": stock.on_hand,
        "reserved": stock.reserved,
        "safety_stock": stock.safety_stock,
        "available": available(stock.on_hand, stock.reserved, stock.safety_stock),
    }


def _record_change(
    session: AsyncSession,
    stock: StockLevel,
    *,
    delta: int,
    reason: AdjustmentReason,
    reference: str | None,
    actor: str,
) -> StockMovement:
    """The ledger entry and the ``inventory.adjusted`` event of a change already applied."""
    movement = _movement(
        session,
        merchant_id=stock.merchant_id,
        location=stock.location_code,
        sku=stock.sku,
        delta=delta,
        on_hand_after=stock.on_hand,
        reason=reason.value,
        reference=reference,
        actor=actor,
    )
    record_event(
        session,
        merchant_id=stock.merchant_id,
        type="inventory.adjusted",
        data=_stock_event(stock, delta=delta, reason=reason.value, reference=reference),
    )
    return movement


async def _locked_stock(
    session: AsyncSession, merchant_id: uuid.UUID, location: str, sku: str
) -> StockLevel:
    stock = await session.scalar(
        select(StockLevel)
        .where(_row_key(merchant_id, location, sku))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if stock is None:  # pragma: no cover - _ensure_row ran first
        raise StockNotFound(f"no stock row for {sku} at {location}")
    return stock


# --------------------------------------------------------------------------- counts and adjustments


async def set_count(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str,
    sku: str,
    on_hand: int,
    reason: AdjustmentReason,
    safety_stock: int | None,
    reference: str | None,
    actor: str,
) -> StockOut:
    """Record a physical count: ``on_hand`` becomes the count, the ledger the difference."""
    async with uow:
        session = uow.session
        await _location(session, merchant_id, location)
        await _require_skus(session, merchant_id, [sku])
        await _ensure_row(session, merchant_id, location, sku)
        stock = await _locked_stock(session, merchant_id, location, sku)
        if on_hand < stock.reserved:
            raise StockReserved(
                f"{stock.reserved} units of {sku} at {location} are reserved; "
                f"release or commit them before counting {on_hand}",
                reserved=stock.reserved,
            )
        delta = count_delta(stock.on_hand, on_hand)
        stock.on_hand = on_hand
        if safety_stock is not None:
            stock.safety_stock = safety_stock
        stock.updated_at = utcnow()
        _record_change(session, stock, delta=delta, reason=reason, reference=reference, actor=actor)
        await session.flush()
        out = StockOut.model_validate(stock, from_attributes=True)
        await uow.commit()
    return out


async def adjust(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str,
    sku: str,
    delta: int,
    reason: AdjustmentReason,
    reference: str | None,
    actor: str,
    idempotency_key: str | None = None,
) -> Outcome:
    """Move ``on_hand`` by ``delta`` with a reason; never below what is reserved."""

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        session = uow.session
        await _location(session, merchant_id, location)
        await _require_skus(session, merchant_id, [sku])
        await _ensure_row(session, merchant_id, location, sku)
        result = await session.execute(
            update(StockLevel)
            .where(
                _row_key(merchant_id, location, sku),
                StockLevel.on_hand + delta >= StockLevel.reserved,
            )
            .values(on_hand=StockLevel.on_hand + delta, updated_at=utcnow())
            .returning(StockLevel.on_hand)
            .execution_options(synchronize_session=False)
        )
        new_on_hand = result.scalar_one_or_none()
        stock = await session.scalar(
            select(StockLevel)
            .where(_row_key(merchant_id, location, sku))
            .execution_options(populate_existing=True)
        )
        assert stock is not None
        if new_on_hand is None:
            raise StockReserved(
                f"cannot move {delta} units of {sku} at {location}: on hand {stock.on_hand}, "
                f"reserved {stock.reserved}",
                on_hand=stock.on_hand,
                reserved=stock.reserved,
            )
        movement = _record_change(
            session, stock, delta=delta, reason=reason, reference=reference, actor=actor
        )
        await session.flush()
        body = {
            "stock": StockOut.model_validate(stock, from_attributes=True).model_dump(mode="json"),
            "movement": MovementOut.model_validate(movement, from_attributes=True).model_dump(
                mode="json"
            ),
        }
        return 201, body

    payload = {
        "location": location,
        "sku": sku,
        "delta": delta,
        "reason": reason.value,
        "reference": reference,
    }
    return await run_once(
        uow=uow,
        merchant_id=merchant_id,
        scope="inventory.adjustment",
        key=idempotency_key,
        payload=payload,
        action=action,
    )


# --------------------------------------------------------------------------- reads


async def get_stock(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, location: str, sku: str
) -> StockOut:
    """One stock level; 404 when the location or SKU is unknown."""
    async with uow.read_only():
        stock = await uow.session.get(StockLevel, (merchant_id, location, sku))
        if stock is None:
            await _location(uow.session, merchant_id, location)
            await _require_skus(uow.session, merchant_id, [sku])
            return StockOut(
                location=location,
                sku=sku,
                on_hand=0,
                reserved=0,
                safety_stock=0,
                updated_at=utcnow(),
            )
        return StockOut.model_validate(stock, from_attributes=True)


async def list_stock(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str | None,
    sku: str | None,
    only_locations: frozenset[str] | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[StockOut], str | None]:
    """Stock levels, optionally for one location and/or SKU, keyset-paginated."""
    after = decode_cursor(cursor)
    query = select(StockLevel).where(StockLevel.merchant_id == merchant_id)
    if location is not None:
        query = query.where(StockLevel.location_code == location)
    if sku is not None:
        query = query.where(StockLevel.sku == sku)
    if only_locations is not None:
        query = query.where(StockLevel.location_code.in_(sorted(only_locations)))
    if after is not None:
        try:
            last_location, last_sku = str(after[0]), str(after[1])
        except (TypeError, IndexError, KeyError):
            last_location, last_sku = "", ""
        query = query.where(
            (StockLevel.location_code > last_location)
            | and_(StockLevel.location_code == last_location, StockLevel.sku > last_sku)
        )
    query = query.order_by(StockLevel.location_code, StockLevel.sku).limit(limit + 1)
    async with uow.read_only():
        rows = list(await uow.session.scalars(query))
    items = [StockOut.model_validate(r, from_attributes=True) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.location_code, last.sku])
    return items, next_cursor


async def list_movements(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str,
    sku: str,
    limit: int,
) -> list[MovementOut]:
    """The ledger of one stock level, newest first."""
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(StockMovement)
            .where(
                StockMovement.merchant_id == merchant_id,
                StockMovement.location_code == location,
                StockMovement.sku == sku,
            )
            .order_by(StockMovement.created_at.desc(), StockMovement.id)
            .limit(limit)
        )
        return [MovementOut.model_validate(r, from_attributes=True) for r in rows]


async def codes_with_all_available(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, skus: list[str], location_codes: list[str]
) -> set[str]:
    """Which of ``location_codes`` have every one of ``skus`` available (at least one unit)."""
    wanted = sorted(set(skus))
    if not wanted or not location_codes:
        return set()
    query = (
        select(StockLevel.location_code)
        .where(
            StockLevel.merchant_id == merchant_id,
            StockLevel.sku.in_(wanted),
            StockLevel.location_code.in_(sorted(set(location_codes))),
            StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock > 0,
        )
        .group_by(StockLevel.location_code)
        .having(func.count(StockLevel.sku) == len(wanted))
    )
    async with uow.read_only():
        return set(await uow.session.scalars(query))


async def restock_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    location: str,
    lines: list[tuple[str, int]],
    reference: str | None,
    actor: str,
) -> None:
    """Put sold units back on hand (a return or a cancelled sale) in the caller's transaction."""
    for sku, qty in sorted(lines):
        await _ensure_row(session, merchant_id, location, sku)
        await session.execute(
            update(StockLevel)
            .where(_row_key(merchant_id, location, sku))
            .values(on_hand=StockLevel.on_hand + qty, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        stock = await session.scalar(
            select(StockLevel)
            .where(_row_key(merchant_id, location, sku))
            .execution_options(populate_existing=True)
        )
        assert stock is not None
        _record_change(
            session,
            stock,
            delta=qty,
            reason=AdjustmentReason.RETURN,
            reference=reference,
            actor=actor,
        )
