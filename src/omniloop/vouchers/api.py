"""``/api/v1/voucher-products`` and ``/api/v1/vouchers``: prepaid vouchers (团购券).

Vouchers are redeemed in stores through ``POST /locations/{code}/redemptions`` (fulfilment).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from omniloop.db import UnitOfWork
from omniloop.deps import UowDep, ensure_member_access, require, require_self_or
from omniloop.errors import Forbidden
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from omniloop.shared.qr import qr_svg
from omniloop.vouchers import service
from omniloop.vouchers.domain import VoucherStatus, grouped
from omniloop.vouchers.schemas import (
    VoucherDetailOut,
    VoucherOut,
    VoucherProductIn,
    VoucherProductOut,
    VoucherProductPatch,
)

router = APIRouter(tags=["vouchers"])

Marketer = Annotated[Principal, Depends(require(Permission.MARKETING_MANAGE))]
MarketingReader = Annotated[Principal, Depends(require(Permission.MARKETING_READ))]
SelfOrReader = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_READ))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


@router.post(
    "/voucher-products",
    status_code=201,
    response_model=VoucherProductOut,
    responses={409: {"description": "already_exists: the SKU already has a voucher product"}},
)
async def create_voucher_product(
    body: VoucherProductIn, principal: Marketer, uow: UowDep
) -> VoucherProductOut:
    """Sell a catalog SKU as a voucher: each unit paid issues one voucher of these terms."""
    return await service.create_product(
        uow=uow, merchant_id=principal.merchant_id, spec=body, actor=principal.actor
    )


@router.get("/voucher-products", response_model=Page[VoucherProductOut])
async def list_voucher_products(
    principal: MarketingReader, uow: UowDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[VoucherProductOut]:
    """The merchant's voucher products, oldest first."""
    items, next_cursor = await service.list_products(
        uow=uow, merchant_id=principal.merchant_id, limit=limit, cursor=cursor
    )
    return Page[VoucherProductOut](items=items, next_cursor=next_cursor)


@router.get("/voucher-products/{product_id}", response_model=VoucherProductOut)
async def get_voucher_product(
    product_id: uuid.UUID, principal: MarketingReader, uow: UowDep
) -> VoucherProductOut:
    """One voucher product, with its SKU's current price."""
    return await service.get_product(
        uow=uow, merchant_id=principal.merchant_id, product_id=product_id
    )


@router.patch("/voucher-products/{product_id}", response_model=VoucherProductOut)
async def update_voucher_product(
    product_id: uuid.UUID, body: VoucherProductPatch, principal: Marketer, uow: UowDep
) -> VoucherProductOut:
    """Change the terms of the vouchers sold from now on; those sold keep theirs."""
    return await service.update_product(
        uow=uow, merchant_id=principal.merchant_id, product_id=product_id, patch=body
    )


@router.get("/vouchers", response_model=Page[VoucherOut])
async def list_vouchers(
    principal: SelfOrReader,
    uow: UowDep,
    order_id: uuid.UUID | None = None,
    member_id: uuid.UUID | None = None,
    status: VoucherStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[VoucherOut]:
    """Vouchers by order or member, newest first; a customer sees their own only. Codes are
    shown to customers, owners and integrators; others see the last four digits."""
    if principal.is_customer:
        if member_id is not None:
            ensure_member_access(principal, member_id)
        member_id = principal.member_id
    items, next_cursor = await service.list_vouchers(
        uow=uow,
        merchant_id=principal.merchant_id,
        where=service.VoucherFilter(order_id=order_id, member_id=member_id, status=status),
        reveal_codes=principal.may_see_pickup_codes,
        limit=limit,
        cursor=cursor,
    )
    return Page[VoucherOut](items=items, next_cursor=next_cursor)


async def _voucher(
    principal: Principal, uow: UnitOfWork, voucher_id: uuid.UUID
) -> VoucherDetailOut:
    return await service.get_voucher(
        uow=uow,
        merchant_id=principal.merchant_id,
        voucher_id=voucher_id,
        member_id=principal.member_id if principal.is_customer else None,
        reveal_codes=principal.may_see_pickup_codes,
    )


@router.get("/vouchers/{voucher_id}", response_model=VoucherDetailOut)
async def get_voucher(
    voucher_id: uuid.UUID, principal: SelfOrReader, uow: UowDep
) -> VoucherDetailOut:
    """One voucher with its redemptions (a customer's own only: others are not found)."""
    return await _voucher(principal, uow, voucher_id)


@router.get(
    "/vouchers/{voucher_id}/qr",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The code as a QR image"}},
)
async def get_voucher_qr(voucher_id: uuid.UUID, principal: SelfOrReader, uow: UowDep) -> Response:
    """The voucher's QR code (SVG) to show at the counter: for whoever may see its code."""
    voucher = await _voucher(principal, uow, voucher_id)
    if voucher.code is None or voucher.qr_payload is None:
        raise Forbidden(f"role {principal.role.value!r} may not see voucher codes")
    svg = qr_svg(voucher.qr_payload, title=f"{voucher.name} {grouped(voucher.code)}")
    return Response(content=svg, media_type="image/svg+xml")
