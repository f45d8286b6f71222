"""``/api/v1/rfm``, ``/api/v1/members/{id}/rfm`` and ``/api/v1/segments``: precise
marketing (精准营销) for the merchant's marketers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from omniloop.deps import DbDep, IdempotencyKey, UowDep, checked_idempotency_key, require
from omniloop.merchants.domain import Permission, Principal
from omniloop.segments import grants, service
from omniloop.segments.schemas import (
    CouponGrantIn,
    CouponGrantOut,
    RfmOut,
    RfmRunOut,
    SegmentIn,
    SegmentMembersPage,
    SegmentOut,
    SegmentPatch,
)
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["segments"])

Reader = Annotated[Principal, Depends(require(Permission.MARKETING_READ))]
Manager = Annotated[Principal, Depends(require(Permission.MARKETING_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


@router.post("/rfm/recompute", response_model=RfmRunOut)
async def recompute_rfm(principal: Manager, db: DbDep) -> RfmRunOut:
    """Recompute every buyer's RFM now (a job also does it daily)."""
    return await service.recompute_rfm(db=db, merchant_id=principal.merchant_id)


@router.get("/members/{member_id}/rfm", response_model=RfmOut)
async def member_rfm(member_id: uuid.UUID, principal: Reader, uow: UowDep) -> RfmOut:
    """A member's recency, frequency, net spend and 1-5 scores, as last computed."""
    return await service.member_rfm(uow=uow, merchant_id=principal.merchant_id, member_id=member_id)


@router.post("/segments", status_code=201, response_model=SegmentOut)
async def create_segment(body: SegmentIn, principal: Manager, uow: UowDep) -> SegmentOut:
    """Save a segment: a name and filters over the members."""
    return await service.create_segment(
        uow=uow,
        merchant_id=principal.merchant_id,
        name=body.name,
        filters=body.filters.to_filters(),
        actor=principal.actor,
    )


@router.get("/segments", response_model=Page[SegmentOut])
async def list_segments(
    principal: Reader, uow: UowDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[SegmentOut]:
    """Saved segments, newest first."""
    items, next_cursor = await service.list_segments(
        uow=uow, merchant_id=principal.merchant_id, limit=limit, cursor=cursor
    )
    return Page[SegmentOut](items=items, next_cursor=next_cursor)


@router.get("/segments/{segment_id}", response_model=SegmentOut)
async def get_segment(segment_id: uuid.UUID, principal: Reader, uow: UowDep) -> SegmentOut:
    return await service.get_segment(
        uow=uow, merchant_id=principal.merchant_id, segment_id=segment_id
    )


@router.patch("/segments/{segment_id}", response_model=SegmentOut)
async def update_segment(
    segment_id: uuid.UUID, body: SegmentPatch, principal: Manager, uow: UowDep
) -> SegmentOut:
    """Rename a segment, or replace its filters whole."""
    return await service.update_segment(
        uow=uow,
        merchant_id=principal.merchant_id,
        segment_id=segment_id,
        name=body.name,
        filters=body.filters.to_filters() if body.filters is not None else None,
    )


@router.delete("/segments/{segment_id}", status_code=204, response_class=Response)
async def delete_segment(segment_id: uuid.UUID, principal: Manager, uow: UowDep) -> Response:
    await service.delete_segment(uow=uow, merchant_id=principal.merchant_id, segment_id=segment_id)
    return Response(status_code=204)


@router.get("/segments/{segment_id}/members", response_model=SegmentMembersPage)
async def segment_members(
    segment_id: uuid.UUID,
    principal: Reader,
    uow: UowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> SegmentMembersPage:
    """The members the segment's filters match now, in pages, with their count."""
    return await service.segment_members(
        uow=uow,
        merchant_id=principal.merchant_id,
        segment_id=segment_id,
        limit=limit,
        cursor=cursor,
        personal_data=principal.may_see_personal_data,
    )


@router.post("/segments/{segment_id}/coupon-grants", status_code=201, response_model=CouponGrantOut)
async def grant_coupons(
    segment_id: uuid.UUID,
    body: CouponGrantIn,
    principal: Manager,
    uow: UowDep,
    idempotency_key: IdempotencyKey = None,
) -> CouponGrantOut:
    """Grant a coupon template to every member of the segment now, as a campaign of its own
    (kind ``segment_grant``) whose report follows the coupons' orders."""
    return await grants.grant_coupons(
        uow=uow,
        merchant_id=principal.merchant_id,
        segment_id=segment_id,
        template_id=body.template_id,
        name=body.name,
        cost=body.cost,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
