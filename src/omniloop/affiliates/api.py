"""``/api/v1/affiliates``: affiliates, their tracking codes and monthly settlements."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from omniloop.affiliates import service
from omniloop.affiliates.schemas import (
    AffiliateCodeIn,
    AffiliateCodeOut,
    AffiliateIn,
    AffiliateOut,
    AffiliatePatch,
    SettlementOut,
)
from omniloop.deps import SettingsDep, UowDep, require
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import Page

router = APIRouter(tags=["affiliates"])

Manager = Annotated[Principal, Depends(require(Permission.MARKETING_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.MARKETING_READ))]


@router.post("/affiliates", status_code=201, response_model=AffiliateOut)
async def create_affiliate(body: AffiliateIn, principal: Manager, uow: UowDep) -> dict[str, Any]:
    """Register an affiliate (dealer, influencer, partner store) with commission rates."""
    return await service.create_affiliate(
        uow=uow, merchant_id=principal.merchant_id, body=body, actor=principal.actor
    )


@router.get("/affiliates", response_model=Page[AffiliateOut])
async def list_affiliates(principal: Reader, uow: UowDep) -> dict[str, Any]:
    """Every affiliate of the merchant."""
    items = await service.list_affiliates(uow=uow, merchant_id=principal.merchant_id)
    return {"items": items, "next_cursor": None}


@router.get("/affiliates/{affiliate_id}", response_model=AffiliateOut)
async def get_affiliate(affiliate_id: uuid.UUID, principal: Reader, uow: UowDep) -> dict[str, Any]:
    """One affiliate."""
    return await service.get_affiliate(
        uow=uow, merchant_id=principal.merchant_id, affiliate_id=affiliate_id
    )


@router.patch("/affiliates/{affiliate_id}", response_model=AffiliateOut)
async def update_affiliate(
    affiliate_id: uuid.UUID, body: AffiliatePatch, principal: Manager, uow: UowDep
) -> dict[str, Any]:
    """Change an affiliate's rates, contact or standing."""
    return await service.update_affiliate(
        uow=uow, merchant_id=principal.merchant_id, affiliate_id=affiliate_id, patch=body
    )


@router.post(
    "/affiliates/{affiliate_id}/tracking-codes", status_code=201, response_model=AffiliateCodeOut
)
async def issue_code(
    affiliate_id: uuid.UUID,
    body: AffiliateCodeIn,
    principal: Manager,
    uow: UowDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """A campaign tracking code the affiliate owns: the orders it brings are commissionable."""
    return await service.issue_code(
        uow=uow,
        merchant_id=principal.merchant_id,
        affiliate_id=affiliate_id,
        body=body,
        base_url=settings.base_url,
        actor=principal.actor,
    )


@router.get("/affiliates/{affiliate_id}/settlement", response_model=SettlementOut)
async def settlement(
    affiliate_id: uuid.UUID,
    principal: Reader,
    uow: UowDep,
    period: Annotated[str, Query(min_length=7, max_length=7, examples=["2026-11"])],
) -> dict[str, Any]:
    """A month's commissionable orders with refunds netted, and the commission due."""
    return await service.settlement(
        uow=uow, merchant_id=principal.merchant_id, affiliate_id=affiliate_id, period=period
    )
