"""``/api/v1/routing-rules`` and ``/api/v1/routing/preview``: how orders find their store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from omniloop.deps import DbDep, UowDep, require
from omniloop.merchants.domain import Permission, Principal
from omniloop.routing import service
from omniloop.routing.schemas import DecisionOut, RoutingRequest, RulesIn, RulesOut

router = APIRouter(tags=["routing"])

Reader = Annotated[Principal, Depends(require(Permission.LOCATIONS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.LOCATIONS_WRITE))]

# The preview lists at most this many ranked and rejected locations (counts are complete).
PREVIEW_LIMIT = 100


def _out(stored: service.StoredRules) -> RulesOut:
    return RulesOut(
        **stored.rules.to_dict(),
        is_default=stored.is_default,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


@router.get("/routing-rules", response_model=RulesOut)
async def get_routing_rules(principal: Reader, uow: UowDep) -> RulesOut:
    """The merchant's routing rules (the defaults until it stores its own)."""
    return _out(await service.get_stored_rules(uow=uow, merchant_id=principal.merchant_id))


@router.put("/routing-rules", response_model=RulesOut)
async def put_routing_rules(body: RulesIn, principal: Writer, uow: UowDep) -> RulesOut:
    """Replace the routing rules whole; they apply to every order routed from now on."""
    stored = await service.put_rules(
        uow=uow,
        merchant_id=principal.merchant_id,
        rules=body.model_dump(),
        actor=principal.actor,
    )
    return _out(stored)


@router.post("/routing/preview", response_model=DecisionOut)
async def preview_routing(
    body: RoutingRequest, principal: Reader, uow: UowDep, db: DbDep
) -> DecisionOut:
    """Where this order would be routed, and why every other location was not; writes
    nothing. Takes an order body (fields routing does not use are ignored)."""
    # Orders sit above routing; the API layer hands their open-order count down.
    from omniloop.orders.service import count_open_orders

    async def open_orders(codes: list[str]) -> dict[str, int]:
        return await count_open_orders(db, principal.merchant_id, codes)

    decision = await service.preview(
        uow=uow, merchant_id=principal.merchant_id, demand=body.to_demand(), open_orders=open_orders
    )
    return DecisionOut.model_validate(decision.as_dict(limit=PREVIEW_LIMIT))
