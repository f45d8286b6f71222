"""``/api/v1``: a member's current member code, and scanning it at a store."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from omniloop.deps import (
    CurrentKey,
    SettingsDep,
    UowDep,
    ensure_location_access,
    ensure_member_access,
    require,
)
from omniloop.errors import Forbidden
from omniloop.member_codes import service
from omniloop.member_codes.domain import CODE_RELAYING_ROLES
from omniloop.member_codes.schemas import (
    MemberCodeOut,
    MemberScanIn,
    MemberScanOut,
    ScannedMemberOut,
)
from omniloop.members.domain import mask_name
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.phone import mask_phone
from omniloop.shared.qr import qr_svg

router = APIRouter(tags=["member codes"])

Scanner = Annotated[Principal, Depends(require(Permission.MEMBER_SCAN))]
LocationCode = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "/members/{member_id}/member-code",
    response_model=MemberCodeOut,
    responses={403: {"description": "another member's code, or a role that may not relay it"}},
)
async def member_code(
    member_id: uuid.UUID, principal: CurrentKey, uow: UowDep, settings: SettingsDep
) -> MemberCodeOut:
    """The member's current code (会员码): rotates at most once a minute, works once."""
    if principal.is_customer:
        ensure_member_access(principal, member_id)
    elif principal.role not in CODE_RELAYING_ROLES:
        raise Forbidden(f"role {principal.role.value!r} may not fetch member codes")
    issued = await service.current_code(
        uow=uow, settings=settings, merchant_id=principal.merchant_id, member_id=member_id
    )
    return MemberCodeOut(
        code=issued.code,
        qr_payload=issued.qr_payload,
        svg=qr_svg(issued.qr_payload, title="Member code"),
        expires_at=issued.expires_at,
        refresh_after=issued.refresh_after,
    )


@router.post(
    "/locations/{code}/member-scans",
    status_code=201,
    response_model=MemberScanOut,
    responses={
        404: {"description": "invalid_member_code (attempts_left), or no such location"},
        409: {"description": "member_code_expired, member_code_used"},
        429: {"description": "rate_limited: too many unknown codes here, see Retry-After"},
    },
)
async def scan_member_code(
    code: LocationCode, body: MemberScanIn, principal: Scanner, uow: UowDep
) -> MemberScanOut:
    """Identify the member at the till from the code they show; the scan id attaches
    them to the POS order rung up next."""
    ensure_location_access(principal, code)
    scanned = await service.scan(
        uow=uow,
        merchant_id=principal.merchant_id,
        location=code,
        raw_code=body.member_code,
        actor=principal.actor,
    )
    member, full = scanned.member, principal.may_see_personal_data
    return MemberScanOut(
        scan_id=scanned.scan_id,
        expires_at=scanned.expires_at,
        member=ScannedMemberOut(
            id=member.id,
            name=member.name if full else mask_name(member.name),
            phone=member.phone if full else mask_phone(member.phone),
            tier=scanned.balances.tier,
            points=scanned.balances.points,
            wallet_total=scanned.balances.wallet_total,
        ),
    )
