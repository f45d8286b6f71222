"""``/api/v1/inventory`` and ``/api/v1/reservations``: stock levels, counts, adjustments,
reservations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from omniloop.deps import (
    IdempotencyKey,
    SettingsDep,
    UowDep,
    checked_idempotency_key,
    ensure_location_access,
    require,
)
from omniloop.errors import NotFound
from omniloop.idempotency import Outcome
from omniloop.inventory import reservations, service
from omniloop.inventory.domain import Line
from omniloop.inventory.errors import InsufficientStock, UnknownReference
from omniloop.inventory.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    MovementOut,
    ReservationIn,
    ReservationOut,
    StockCountIn,
    StockOut,
)
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["inventory"])

Reader = Annotated[Principal, Depends(require(Permission.INVENTORY_READ))]
Writer = Annotated[Principal, Depends(require(Permission.INVENTORY_WRITE))]
Reserver = Annotated[Principal, Depends(require(Permission.RESERVATIONS_WRITE))]
LocationCode = Annotated[str, Path(min_length=1, max_length=64)]
SkuCode = Annotated[str, Path(min_length=1, max_length=64)]


@contextmanager
def _path_not_found() -> Iterator[None]:
    """A location or SKU named in the path that does not exist is a 404, not a 422."""
    try:
        yield
    except UnknownReference as exc:
        raise NotFound(exc.detail) from None


def _outcome_response(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@router.get("/inventory", response_model=Page[StockOut])
async def list_inventory(
    principal: Reader,
    uow: UowDep,
    location: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[StockOut]:
    """Stock levels; store staff see their own locations only."""
    if location is not None:
        ensure_location_access(principal, location)
    items, next_cursor = await service.list_stock(
        uow=uow,
        merchant_id=principal.merchant_id,
        location=location,
        sku=sku,
        only_locations=principal.locations if principal.location_bound else None,
        limit=limit,
        cursor=cursor,
    )
    return Page[StockOut](items=items, next_cursor=next_cursor)


@router.get("/inventory/{location}/{sku}", response_model=StockOut)
async def get_stock(
    location: LocationCode, sku: SkuCode, principal: Reader, uow: UowDep
) -> StockOut:
    """One stock level with what is available."""
    ensure_location_access(principal, location)
    with _path_not_found():
        return await service.get_stock(
            uow=uow, merchant_id=principal.merchant_id, location=location, sku=sku
        )


@router.put("/inventory/{location}/{sku}", response_model=StockOut)
async def count_stock(
    location: LocationCode, sku: SkuCode, body: StockCountIn, principal: Writer, uow: UowDep
) -> StockOut:
    """Set the counted ``on_hand`` (and optionally the safety stock)."""
    ensure_location_access(principal, location)
    with _path_not_found():
        return await service.set_count(
            uow=uow,
            merchant_id=principal.merchant_id,
            location=location,
            sku=sku,
            on_hand=body.on_hand,
            reason=body.reason,
            safety_stock=body.safety_stock,
            reference=body.reference,
            actor=principal.actor,
        )


@router.get("/inventory/{location}/{sku}/movements", response_model=Page[MovementOut])
async def list_movements(
    location: LocationCode,
    sku: SkuCode,
    principal: Reader,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[MovementOut]:
    """The stock ledger of one location and SKU, newest first."""
    ensure_location_access(principal, location)
    items = await service.list_movements(
        uow=uow, merchant_id=principal.merchant_id, location=location, sku=sku, limit=limit
    )
    return Page[MovementOut](items=items)


@router.post(
    "/inventory/adjustments",
    status_code=201,
    response_model=AdjustmentOut,
    responses={409: {"description": "would take on hand below what is reserved"}},
)
async def create_adjustment(
    body: AdjustmentIn,
    principal: Writer,
    uow: UowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Move stock by ``delta`` with a reason (receipt, count, damage, transfer, sale, return)."""
    ensure_location_access(principal, body.location)
    outcome = await service.adjust(
        uow=uow,
        merchant_id=principal.merchant_id,
        location=body.location,
        sku=body.sku,
        delta=body.delta,
        reason=body.reason,
        reference=body.reference,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
    return _outcome_response(outcome)


@router.post(
    "/reservations",
    status_code=201,
    response_model=ReservationOut,
    responses={409: {"description": "insufficient_stock: the body names the short lines"}},
)
async def create_reservation(
    request: Request,
    body: ReservationIn,
    principal: Reserver,
    uow: UowDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Reserve every line at one location, or none."""
    ensure_location_access(principal, body.location)
    try:
        outcome = await reservations.reserve(
            uow=uow,
            merchant_id=principal.merchant_id,
            location=body.location,
            lines=[Line(sku=ln.sku, qty=ln.qty) for ln in body.lines],
            ttl_seconds=body.ttl_seconds or settings.reservation_default_ttl_seconds,
            reference=body.reference,
            actor=principal.actor,
            idempotency_key=checked_idempotency_key(idempotency_key),
        )
    except InsufficientStock:
        request.app.state.metrics.reservation_conflicts.inc()
        raise
    return _outcome_response(outcome)


async def _own_reservation(
    uow: UowDep, principal: Principal, reservation_id: uuid.UUID
) -> dict[str, Any]:
    view = await reservations.get_reservation(
        uow=uow, merchant_id=principal.merchant_id, reservation_id=reservation_id
    )
    ensure_location_access(principal, view["location"])
    return view


@router.get("/reservations/{reservation_id}", response_model=ReservationOut)
async def get_reservation(
    reservation_id: uuid.UUID, principal: Reserver, uow: UowDep
) -> dict[str, Any]:
    """A reservation and its lines."""
    return await _own_reservation(uow, principal, reservation_id)


@router.post("/reservations/{reservation_id}/commit", response_model=ReservationOut)
async def commit_reservation(
    reservation_id: uuid.UUID, principal: Reserver, uow: UowDep
) -> dict[str, Any]:
    """Turn the reservation into a sale (repeating it is harmless)."""
    await _own_reservation(uow, principal, reservation_id)
    return await reservations.commit_reservation(
        uow=uow,
        merchant_id=principal.merchant_id,
        reservation_id=reservation_id,
        actor=principal.actor,
    )


@router.post("/reservations/{reservation_id}/release", response_model=ReservationOut)
async def release_reservation(
    reservation_id: uuid.UUID, principal: Reserver, uow: UowDep
) -> dict[str, Any]:
    """Give the reserved units back (repeating it is harmless)."""
    await _own_reservation(uow, principal, reservation_id)
    return await reservations.release_reservation(
        uow=uow,
        merchant_id=principal.merchant_id,
        reservation_id=reservation_id,
        actor=principal.actor,
    )
