"""``/api/v1/members``: one customer across every channel; stores' join QR codes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from omniloop.deps import (
    SettingsDep,
    UowDep,
    ensure_location_access,
    ensure_member_access,
    require,
    require_self_or,
)
from omniloop.errors import ValidationFailed
from omniloop.members import service
from omniloop.members.domain import MemberStatus
from omniloop.members.schemas import (
    ActivityOut,
    JoinQrOut,
    LocationCode,
    MemberCreate,
    MemberOut,
    MergeIn,
    Phone,
)
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(tags=["members"])

Reader = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
SelfOrReader = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.MEMBERS_WRITE))]
Merger = Annotated[Principal, Depends(require(Permission.MEMBERS_MERGE))]
Cursor = Annotated[str | None, Query(max_length=500)]

MAX_MEMBER_PAGE = 100  # each member's view sums its history and balances


@router.post(
    "/members",
    status_code=201,
    response_model=MemberOut,
    responses={200: {"description": "the phone is already a member: that member"}},
)
async def sign_up_member(body: MemberCreate, principal: Writer, uow: UowDep) -> JSONResponse:
    """Sign a customer up by phone, or return the member the phone already is."""
    location = await service.join_location(
        uow=uow,
        merchant_id=principal.merchant_id,
        join_token=body.join_token,
        location=body.location,
    )
    if principal.location_bound and location is None:
        raise ValidationFailed("store staff sign members up at their own store", field="location")
    if location is not None:
        ensure_location_access(principal, location)
    view, created = await service.sign_up(
        uow=uow,
        merchant_id=principal.merchant_id,
        phone=body.phone,
        name=body.name,
        channel=body.channel,
        location=location,
        personal_data=principal.may_see_personal_data,
    )
    return JSONResponse(view.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/members", response_model=Page[MemberOut])
async def list_members(
    principal: Reader,
    uow: UowDep,
    phone: Annotated[Phone | None, Query(description="Find the member with this phone.")] = None,
    acquired_location: Annotated[LocationCode | None, Query()] = None,
    status: MemberStatus | None = MemberStatus.ACTIVE,
    order: service.Order = "newest",
    limit: Annotated[int, Query(ge=1, le=MAX_MEMBER_PAGE)] = min(DEFAULT_LIMIT, MAX_MEMBER_PAGE),
    cursor: Cursor = None,
) -> Page[MemberOut]:
    """Find a member by phone (0 or 1 item), or page through members by sign-up time."""
    personal_data = principal.may_see_personal_data
    if phone is not None:
        found = await service.find_member(
            uow=uow, merchant_id=principal.merchant_id, phone=phone, personal_data=personal_data
        )
        return Page[MemberOut](items=[found] if found else [])
    items, next_cursor = await service.list_members(
        uow=uow,
        merchant_id=principal.merchant_id,
        acquired_location=acquired_location,
        status=status,
        order=order,
        limit=limit,
        cursor=cursor,
        personal_data=personal_data,
    )
    return Page[MemberOut](items=items, next_cursor=next_cursor)


@router.get("/members/{member_id}", response_model=MemberOut)
async def get_member(member_id: uuid.UUID, principal: SelfOrReader, uow: UowDep) -> MemberOut:
    """A member with its channels, visits, orders, tier, points and wallet."""
    ensure_member_access(principal, member_id)
    return await service.get_member(
        uow=uow,
        merchant_id=principal.merchant_id,
        member_id=member_id,
        personal_data=principal.may_see_personal_data,
    )


@router.get("/members/{member_id}/activity", response_model=Page[ActivityOut])
async def member_activity(
    member_id: uuid.UUID,
    principal: SelfOrReader,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ActivityOut]:
    """What the member did, newest first (records merged into it included)."""
    ensure_member_access(principal, member_id)
    items, next_cursor = await service.list_activity(
        uow=uow, merchant_id=principal.merchant_id, member_id=member_id, limit=limit, cursor=cursor
    )
    return Page[ActivityOut](items=items, next_cursor=next_cursor)


@router.post(
    "/members/{member_id}/merge",
    response_model=MemberOut,
    responses={409: {"description": "member_merge_refused"}},
)
async def merge_member(
    member_id: uuid.UUID, body: MergeIn, principal: Merger, uow: UowDep
) -> MemberOut:
    """Merge ``other_id`` into this member, keeping both histories."""
    return await service.merge_members(
        uow=uow,
        merchant_id=principal.merchant_id,
        survivor_id=member_id,
        absorbed_id=body.other_id,
        actor=principal.actor,
        personal_data=principal.may_see_personal_data,
    )


@router.get("/locations/{code}/join-qr", response_model=JoinQrOut)
async def join_qr(
    code: Annotated[str, Path(min_length=1, max_length=64)],
    principal: Writer,
    uow: UowDep,
    settings: SettingsDep,
) -> JoinQrOut:
    """The QR code a store shows so customers sign up as its members."""
    ensure_location_access(principal, code)
    return await service.join_qr(
        uow=uow, merchant_id=principal.merchant_id, location=code, base_url=settings.base_url
    )
