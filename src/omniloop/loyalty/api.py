"""``/api/v1/loyalty-program`` and a member's ``/points`` and ``/wallet``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from omniloop.deps import (
    IdempotencyKey,
    UowDep,
    checked_idempotency_key,
    ensure_member_access,
    require,
    require_self_or,
)
from omniloop.loyalty import accounts, program
from omniloop.loyalty.program_rules import program_to_config
from omniloop.loyalty.schemas import (
    PointsAdjustmentIn,
    PointsAdjustmentOut,
    PointsStatementOut,
    ProgramIn,
    ProgramOut,
    WalletStatementOut,
)
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(tags=["loyalty"])

Reader = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
Manager = Annotated[Principal, Depends(require(Permission.LOYALTY_MANAGE))]
SelfOrReader = Annotated[Principal, Depends(require_self_or(Permission.MEMBERS_READ))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _program_out(stored: program.StoredProgram) -> ProgramOut:
    return ProgramOut(
        **program_to_config(stored.program),
        version=stored.version,
        is_default=stored.is_default,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


@router.get("/loyalty-program", response_model=ProgramOut)
async def get_loyalty_program(principal: Reader, uow: UowDep) -> ProgramOut:
    """The program in force (the defaults, ``version`` 0, until one is stored)."""
    stored = await program.get_program(uow=uow, merchant_id=principal.merchant_id)
    return _program_out(stored)


@router.put("/loyalty-program", response_model=ProgramOut)
async def put_loyalty_program(body: ProgramIn, principal: Manager, uow: UowDep) -> ProgramOut:
    """Replace the program whole: earn rates, tiers, expiry, redemption, top-up bonuses."""
    currency = await program.merchant_currency(uow=uow, merchant_id=principal.merchant_id)
    stored = await program.put_program(
        uow=uow,
        merchant_id=principal.merchant_id,
        program=body.to_program(default_currency=currency),
        actor=principal.actor,
    )
    return _program_out(stored)


@router.get("/members/{member_id}/points", response_model=PointsStatementOut)
async def get_points(
    member_id: uuid.UUID,
    principal: SelfOrReader,
    uow: UowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PointsStatementOut:
    """Points balance, the soonest expiring points and the ledger, newest first."""
    ensure_member_access(principal, member_id)
    return await accounts.points_statement(
        uow=uow, merchant_id=principal.merchant_id, member_id=member_id, limit=limit, cursor=cursor
    )


@router.get("/members/{member_id}/wallet", response_model=WalletStatementOut)
async def get_wallet(
    member_id: uuid.UUID,
    principal: SelfOrReader,
    uow: UowDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> WalletStatementOut:
    """Stored value (paid principal and bonus) and the ledger, newest first."""
    ensure_member_access(principal, member_id)
    return await accounts.wallet_statement(
        uow=uow, merchant_id=principal.merchant_id, member_id=member_id, limit=limit, cursor=cursor
    )


@router.post(
    "/members/{member_id}/points/adjustments",
    status_code=201,
    response_model=PointsAdjustmentOut,
    responses={409: {"description": "insufficient_points: would take the balance below 0"}},
)
async def adjust_points(
    member_id: uuid.UUID,
    body: PointsAdjustmentIn,
    principal: Manager,
    uow: UowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Grant or take points by hand, with a reason (an ``adjust`` entry)."""
    outcome = await accounts.adjust_points(
        uow=uow,
        merchant_id=principal.merchant_id,
        member_id=member_id,
        points=body.points,
        reason=body.reason,
        actor=principal.actor,
        idempotency_key=checked_idempotency_key(idempotency_key),
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)
