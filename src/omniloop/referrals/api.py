"""``/api/v1/referral-program``, a member's ``/referral-code`` and ``/referrer``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from omniloop.deps import UowDep, ensure_member_access, require, require_self_or
from omniloop.merchants.domain import Permission, Principal
from omniloop.referrals import program, service
from omniloop.referrals.schemas import (
    ReferralCodeOut,
    ReferralOut,
    ReferralProgramIn,
    ReferralProgramOut,
    ReferrerIn,
)

router = APIRouter(tags=["referrals"])

SelfOrReader = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_READ))]
SelfOrWriter = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_WRITE))]
Manager = Annotated[Principal, Depends(require(Permission.LOYALTY_MANAGE))]


@router.get("/referral-program", response_model=ReferralProgramOut)
async def get_referral_program(principal: SelfOrReader, uow: UowDep) -> ReferralProgramOut:
    """What a referral earns both sides (customers read it too, to be told what inviting a
    friend brings)."""
    return await program.get_program(uow=uow, merchant_id=principal.merchant_id)


@router.put("/referral-program", response_model=ReferralProgramOut)
async def put_referral_program(
    body: ReferralProgramIn, principal: Manager, uow: UowDep
) -> ReferralProgramOut:
    """Replace the referral rule: on or off, and each side's points and/or coupon."""
    return await program.put_program(
        uow=uow, merchant_id=principal.merchant_id, rule=body.to_rule(), actor=principal.actor
    )


@router.get("/members/{member_id}/referral-code", response_model=ReferralCodeOut)
async def get_referral_code(
    member_id: uuid.UUID, principal: SelfOrReader, uow: UowDep
) -> ReferralCodeOut:
    """The member's referral code to share (made on first ask, then never changes)."""
    ensure_member_access(principal, member_id)
    return await service.get_referral_code(
        uow=uow, merchant_id=principal.merchant_id, member_id=member_id
    )


@router.post(
    "/members/{member_id}/referrer",
    status_code=201,
    response_model=ReferralOut,
    responses={409: {"description": "referral_refused"}, 422: {"description": "unknown code"}},
)
async def attach_referrer(
    member_id: uuid.UUID, body: ReferrerIn, principal: SelfOrWriter, uow: UowDep
) -> ReferralOut:
    """Say who referred a member who joined in the last 24 hours, by their code."""
    ensure_member_access(principal, member_id)
    return await service.attach_referrer(
        uow=uow,
        merchant_id=principal.merchant_id,
        member_id=member_id,
        referral_code=body.referral_code,
    )
